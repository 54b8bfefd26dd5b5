"""What the reports demo is made of: the territory's categories, their questions, routing,
reply templates and the French words of reports and agents' notes (all fictitious).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Danger notices people read before reporting: shown as a question with nothing to answer.
DANGER = "En cas de danger immédiat, appelez le 112 avant de faire un signalement."


@dataclass(frozen=True)
class QuestionSpec:
    """An Open311 attribute of a demo category."""

    code: str
    datatype: str
    description: str
    required: bool = False
    variable: bool = True
    values: tuple[tuple[str, str], ...] = ()
    datatype_description: str = ""


@dataclass(frozen=True)
class CategorySpec:
    """A demo category, who receives it, and the words of its reports and replies."""

    code: str
    name: str
    group: str
    organisation: str | None  # None: the fallback rule (the agglomeration) receives it
    description: str
    keywords: str
    notice: str
    target_days: int | None
    weight: int  # how often people report it, relatively
    texts: tuple[str, ...]
    fixed_notes: tuple[str, ...]
    questions: tuple[QuestionSpec, ...] = ()
    # Median days to acknowledge: waste and water leaks are answered faster than benches.
    ack_days: float = 2.0
    extra: dict[str, Any] = field(default_factory=dict)


YES_NO = (("oui", "Oui"), ("non", "Non"))

CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec(
        "nid-de-poule", "Nid-de-poule", "Voirie", "voirie",
        "Trou ou affaissement de la chaussée.", "trou, chaussée, route, enrobé",
        "Nos équipes rebouchent les nids-de-poule dangereux sous 48 heures, les autres sous "
        "15 jours.", 15, 14,
        (
            "Nid-de-poule profond au milieu de la chaussée, les voitures font un écart pour "
            "l'éviter.",
            "Trou dans l'enrobé devant le n° {num}, les deux-roues risquent de chuter.",
            "Plusieurs trous successifs sur une vingtaine de mètres depuis les dernières pluies.",
            "Affaissement de la chaussée près du passage piéton, l'eau s'y accumule.",
            "Gros nid-de-poule à la sortie du rond-point, j'ai crevé un pneu hier soir.",
        ),
        (
            "Le nid-de-poule a été rebouché à l'enrobé à froid.",
            "La chaussée a été reprise sur quatre mètres carrés.",
            "Rebouchage effectué ; une réfection complète de la rue est prévue au budget.",
        ),
        (
            QuestionSpec("securite", "string", DANGER, variable=False),
            QuestionSpec(
                "taille", "singlevaluelist", "Taille du trou", required=True,
                values=(("petit", "Moins de 20 cm"), ("moyen", "De 20 à 50 cm"),
                        ("grand", "Plus de 50 cm")),
            ),
            QuestionSpec(
                "profondeur", "number", "Profondeur estimée, en centimètres",
                datatype_description="Un nombre, par exemple 8",
            ),
        ),
        ack_days=1.5,
    ),
    CategorySpec(
        "trottoir-abime", "Trottoir abîmé", "Voirie", "voirie",
        "Dalles descellées, bordure cassée, racines qui soulèvent le revêtement.",
        "trottoir, dalle, bordure, accessibilité",
        "", 30, 8,
        (
            "Dalles descellées sur le trottoir, une personne âgée a trébuché.",
            "Bordure de trottoir cassée au niveau du n° {num}, dangereux pour les poussettes.",
            "Les racines des platanes soulèvent le trottoir, impossible de passer en fauteuil.",
            "Trou dans le trottoir après des travaux de raccordement jamais refermés.",
        ),
        (
            "Les dalles ont été reposées.",
            "La bordure a été remplacée et le trottoir remis à niveau.",
        ),
        (
            QuestionSpec(
                "gene", "multivaluelist", "Qui est gêné pour passer ?",
                values=(("pietons", "Les piétons"), ("poussettes", "Les poussettes"),
                        ("fauteuils", "Les fauteuils roulants"),
                        ("malvoyants", "Les personnes malvoyantes")),
            ),
        ),
        ack_days=3,
    ),
    CategorySpec(
        "signalisation", "Panneau ou marquage au sol", "Voirie", "voirie",
        "Panneau tombé, tourné ou illisible, marquage effacé, feu tricolore en panne.",
        "panneau, feu, marquage, stop, passage piéton",
        "Un feu tricolore en panne à un carrefour dangereux : appelez aussi la police "
        "municipale.", 20, 6,
        (
            "Le panneau stop est couché dans le fossé depuis la tempête.",
            "Le marquage du passage piéton devant l'école est presque effacé.",
            "Feu tricolore bloqué au rouge dans un sens, les voitures passent quand même.",
            "Panneau de limitation à 30 tourné vers le champ, on ne le voit plus.",
        ),
        (
            "Le panneau a été remis en place et scellé.",
            "Le marquage a été refait.",
            "Le contrôleur du feu a été remplacé.",
        ),
        (
            QuestionSpec(
                "type", "singlevaluelist", "De quoi s'agit-il ?", required=True,
                values=(("panneau", "Un panneau"), ("marquage", "Un marquage au sol"),
                        ("feu", "Un feu tricolore")),
            ),
        ),
    ),
    CategorySpec(
        "mobilier-urbain", "Mobilier urbain dégradé", "Voirie", "voirie",
        "Banc, potelet, barrière, jardinière ou fontaine cassés.",
        "banc, potelet, barrière, jardinière", "", 30, 5,
        (
            "Banc cassé, une latte manque et des vis dépassent.",
            "Potelet arraché au coin de la rue, il traîne sur le trottoir.",
            "Barrière de sécurité tordue après un accident.",
            "La fontaine de la place ne coule plus depuis une semaine.",
        ),
        ("Le banc a été réparé.", "Le potelet a été remplacé.", "La barrière a été redressée."),
        ack_days=4,
    ),
    CategorySpec(
        "depot-sauvage", "Dépôt sauvage", "Propreté", "proprete",
        "Déchets abandonnés sur la voie publique ou dans la nature.",
        "ordures, déchets, dépôt, sacs, gravats",
        "Déposer des déchets sur la voie publique est puni d'une amende pouvant aller jusqu'à "
        "1 500 €. Ne touchez pas aux déchets dangereux.", 7, 14,
        (
            "Sacs d'ordures et cartons déposés au pied des conteneurs.",
            "Gravats et plaques de plâtre abandonnés au bord du chemin.",
            "Dépôt sauvage à l'entrée du parking : pneus, pots de peinture, sacs.",
            "Quelqu'un a vidé une camionnette de déchets verts et de ferraille dans le fossé.",
            "Des sacs éventrés depuis trois jours, les goélands les dispersent.",
        ),
        (
            "Le dépôt a été enlevé par la brigade de propreté.",
            "Enlèvement effectué ; une enquête est en cours pour retrouver l'auteur.",
            "Les déchets ont été ramassés et le site nettoyé.",
        ),
        (
            QuestionSpec(
                "volume", "singlevaluelist", "Volume approximatif", required=True,
                values=(("sac", "Quelques sacs"), ("coffre", "Un coffre de voiture"),
                        ("camionnette", "Une camionnette ou plus")),
            ),
            QuestionSpec(
                "dangereux", "multivaluelist", "Y a-t-il des déchets dangereux ?",
                values=(("amiante", "Plaques pouvant contenir de l'amiante"),
                        ("chimiques", "Produits chimiques ou peintures"),
                        ("pneus", "Pneus"), ("seringues", "Seringues")),
            ),
        ),
        ack_days=1,
    ),
    CategorySpec(
        "tags", "Tags ou graffiti", "Propreté", "proprete",
        "Inscriptions sur un bâtiment ou un équipement public.",
        "tag, graffiti, peinture, inscription",
        "Les tags injurieux sont effacés en priorité, sous 48 heures.", 15, 5,
        (
            "Tags sur le mur de l'école, côté cour.",
            "Graffitis sur l'abri du parc, certains sont injurieux.",
            "Inscriptions à la bombe sur le transformateur électrique.",
        ),
        ("Les tags ont été effacés par hydrogommage.", "Le mur a été repeint."),
        (
            QuestionSpec(
                "support", "singlevaluelist", "Où sont-ils ?", required=True,
                values=(("batiment", "Un bâtiment public"), ("mobilier", "Du mobilier urbain"),
                        ("facade", "Une façade privée visible de la rue")),
            ),
        ),
        ack_days=3,
    ),
    CategorySpec(
        "encombrants", "Dépôt d'encombrants", "Propreté", "proprete",
        "Meubles, électroménager ou matelas laissés sur le trottoir.",
        "encombrants, meuble, matelas, frigo, électroménager",
        "Les encombrants se déposent en déchèterie ou sur rendez-vous de collecte.", 7, 6,
        (
            "Un matelas et un sommier posés contre le mur depuis une semaine.",
            "Un réfrigérateur abandonné sur le trottoir, porte ouverte.",
            "Canapé et chaises déposés à côté du point d'apport volontaire.",
        ),
        ("Les encombrants ont été enlevés.", "Enlèvement effectué lors de la tournée."),
        ack_days=1.5,
    ),
    CategorySpec(
        "conteneur-deborde", "Conteneur débordant", "Déchets", "collecte-dechets",
        "Conteneur ou point d'apport volontaire plein, déchets autour.",
        "conteneur, poubelle, verre, emballages, plein",
        "", 3, 10,
        (
            "Le conteneur à verre est plein, les bouteilles s'entassent autour.",
            "Colonne d'emballages pleine depuis le week-end.",
            "Les conteneurs d'ordures ménagères débordent, ça sent très mauvais.",
            "Point d'apport volontaire saturé après le marché.",
        ),
        ("Le conteneur a été vidé.", "Collecte supplémentaire effectuée ; fréquence revue."),
        (
            QuestionSpec(
                "flux", "singlevaluelist", "Quel conteneur ?", required=True,
                values=(("om", "Ordures ménagères"), ("emballages", "Emballages"),
                        ("verre", "Verre"), ("papier", "Papier")),
            ),
            QuestionSpec(
                "numero", "string", "Numéro inscrit sur le conteneur (s'il est lisible)",
            ),
        ),
        ack_days=0.5,
    ),
    CategorySpec(
        "bac-non-collecte", "Bac non collecté", "Déchets", "collecte-dechets",
        "Votre bac n'a pas été vidé le jour de collecte.",
        "bac, poubelle, collecte, oubli, ramassage",
        "Laissez votre bac sorti : l'équipe repasse sous 48 heures.", 3, 7,
        (
            "Bac jaune non collecté ce matin alors qu'il était sorti la veille.",
            "Toute la rue a été oubliée par la collecte des ordures ménagères.",
            "Mon bac n'a pas été vidé, le camion est passé sans s'arrêter.",
        ),
        ("L'équipe de collecte est repassée.", "Collecte de rattrapage effectuée."),
        (
            QuestionSpec(
                "date_collecte", "datetime", "Jour et heure de collecte prévus",
                required=True, datatype_description="Par exemple 2026-05-12T06:00",
            ),
        ),
        ack_days=0.5,
    ),
    CategorySpec(
        "lampadaire-eteint", "Lampadaire éteint", "Éclairage public", "eclairage-public",
        "Un ou plusieurs points lumineux ne s'allument plus la nuit.",
        "lampadaire, éclairage, lumière, candélabre, nuit",
        "", 10, 10,
        (
            "Le lampadaire devant le n° {num} ne s'allume plus, la rue est très sombre.",
            "Trois lampadaires éteints d'affilée sur le chemin du collège.",
            "L'éclairage du parking clignote puis s'éteint toute la nuit.",
            "Plus d'éclairage dans l'impasse depuis l'orage.",
        ),
        (
            "La lampe a été remplacée par une LED.",
            "Le câble d'alimentation a été réparé, l'éclairage fonctionne.",
            "Le luminaire a été changé.",
        ),
        (
            QuestionSpec(
                "numero_candelabre", "string", "Numéro sur le mât (s'il est lisible)",
            ),
            QuestionSpec("nombre", "number", "Nombre de lampadaires éteints"),
        ),
        ack_days=2,
    ),
    CategorySpec(
        "lampadaire-allume-jour", "Lampadaire allumé le jour", "Éclairage public",
        "eclairage-public",
        "Un éclairage reste allumé en pleine journée.",
        "lampadaire, éclairage, jour, gaspillage", "", 10, 3,
        (
            "Les lampadaires de la rue restent allumés en plein jour.",
            "L'éclairage du stade est allumé tous les après-midi.",
        ),
        ("L'horloge astronomique de l'armoire a été reprogrammée.",),
        ack_days=3,
    ),
    CategorySpec(
        "arbre-dangereux", "Arbre ou branche dangereux", "Espaces verts", None,
        "Branche cassée, arbre penché ou tombé sur l'espace public.",
        "arbre, branche, élagage, tempête",
        "", 10, 5,
        (
            "Une grosse branche cassée pend au-dessus du trottoir.",
            "Arbre tombé en travers du chemin après le coup de vent.",
            "Le peuplier penche dangereusement vers les maisons.",
        ),
        ("La branche a été coupée et évacuée.", "L'arbre a été abattu et dessouché."),
        (
            QuestionSpec(
                "bloque", "singlevaluelist", "Le passage est-il bloqué ?", required=True,
                values=YES_NO,
            ),
        ),
        ack_days=1,
    ),
    CategorySpec(
        "entretien-espaces-verts", "Espace vert mal entretenu", "Espaces verts", None,
        "Herbes hautes, haie qui déborde sur le trottoir, aire de jeux négligée.",
        "herbe, haie, tonte, parc, aire de jeux", "", 30, 5,
        (
            "La haie déborde sur le trottoir, on doit marcher sur la route.",
            "Herbes très hautes dans le square, les enfants ne peuvent plus jouer.",
            "Un jeu de l'aire de jeux est cassé, une planche manque.",
        ),
        ("La tonte a été faite.", "La haie a été taillée.", "Le jeu a été réparé."),
        ack_days=5,
    ),
    CategorySpec(
        "arceau-velo", "Vélo : arceau ou piste cyclable", "Mobilités", "mobilites",
        "Arceau de stationnement cassé, piste cyclable encombrée ou dégradée.",
        "vélo, arceau, piste cyclable, bande cyclable",
        "", 20, 4,
        (
            "La piste cyclable est couverte de verre brisé.",
            "Arceau à vélo descellé devant la médiathèque.",
            "Des voitures stationnent tous les jours sur la bande cyclable.",
        ),
        ("La piste a été balayée.", "L'arceau a été scellé à nouveau."),
        ack_days=3,
    ),
    CategorySpec(
        "abribus", "Abribus dégradé", "Mobilités", "mobilites",
        "Vitre cassée, horaires absents, banc de l'abri endommagé.",
        "abribus, arrêt, bus, vitre", "", 15, 4,
        (
            "Vitre de l'abribus brisée, des éclats sur le trottoir.",
            "Les horaires ne sont plus affichés à l'arrêt.",
            "Le banc de l'abribus est arraché.",
        ),
        ("La vitre a été remplacée.", "Les horaires ont été affichés."),
        (QuestionSpec("arret", "string", "Nom de l'arrêt", required=True),),
        ack_days=2,
    ),
    CategorySpec(
        "horodateur", "Horodateur en panne", "Mobilités", "rochefort-stationnement",
        "L'horodateur ne délivre plus de ticket ou n'accepte pas la carte.",
        "horodateur, parcmètre, stationnement, ticket", "", 5, 2,
        (
            "L'horodateur refuse les cartes bancaires et les pièces.",
            "Écran de l'horodateur noir, impossible de payer.",
        ),
        ("Le lecteur de carte a été remplacé.",),
        ack_days=1,
    ),
    CategorySpec(
        "avaloir-bouche", "Avaloir ou grille bouché", "Eau et assainissement", "agglomeration",
        "Grille d'évacuation des eaux de pluie bouchée, flaque persistante.",
        "avaloir, grille, égout, inondation, flaque", "", 10, 5,
        (
            "L'avaloir est bouché par les feuilles, la rue est inondée à chaque averse.",
            "Grille d'égout obstruée, l'eau stagne devant le garage.",
            "Odeur d'égout très forte près de la grille.",
        ),
        ("L'avaloir a été curé.", "Le réseau a été hydrocuré."),
        (
            QuestionSpec(
                "inondation", "singlevaluelist", "L'eau envahit-elle la chaussée ?",
                required=True, values=YES_NO,
            ),
        ),
        ack_days=2,
    ),
    CategorySpec(
        "fuite-eau", "Fuite d'eau sur la voie publique", "Eau et assainissement",
        "agglomeration",
        "De l'eau jaillit ou coule en continu de la chaussée ou d'une bouche à clé.",
        "fuite, eau, canalisation", "Une fuite importante ? Appelez aussi le service des eaux.",
        2, 3,
        (
            "L'eau sort de la chaussée en continu depuis ce matin.",
            "Bouche à clé qui fuit, une flaque traverse la route.",
        ),
        ("La canalisation a été réparée.",),
        (
            QuestionSpec(
                "depuis", "text", "Depuis quand la fuite coule-t-elle, et avec quel débit ?",
            ),
        ),
        ack_days=0.3,
    ),
    CategorySpec(
        "autre", "Autre problème", "Autre", None,
        "Un problème sur l'espace public qui n'entre dans aucune autre catégorie.",
        "autre, divers", "", None, 3,
        (
            "Un véhicule semble abandonné depuis des semaines, pneus à plat.",
            "Le panneau d'affichage municipal est arraché.",
            "Nuisances sonores récurrentes la nuit près de la salle des fêtes.",
        ),
        ("Le nécessaire a été fait.",),
        ack_days=4,
    ),
)  # fmt: skip

# Category × geozone rules: more specific than the category rules above.
GEOZONE_RULES = (
    # Illegal dumping along the coast: the agglomeration's coastal brigade.
    ("depot-sauvage", "littoral-et-iles", "agglomeration"),
    # Bulky waste in Rochefort and around it: the waste operator's collection round.
    ("encombrants", "rochefort-et-couronne", "collecte-dechets"),
    # Green spaces of Rochefort's four sectors: the city teams of the cleanliness department.
    ("entretien-espaces-verts", "rochefort-secteur-nord-ouest", "proprete"),
    ("entretien-espaces-verts", "rochefort-secteur-nord-est", "proprete"),
    ("entretien-espaces-verts", "rochefort-secteur-sud-ouest", "proprete"),
    ("entretien-espaces-verts", "rochefort-secteur-sud-est", "proprete"),
)
FALLBACK = "agglomeration"

REPLY_TEMPLATES = (
    # organisation slug (None: for all), title, status, body
    (None, "Pris en compte", "acknowledged",
     "Merci pour votre signalement. Il a été pris en compte et transmis à l'équipe chargée "
     "de l'intervention."),
    (None, "Intervention programmée", "planned",
     "Une intervention est programmée dans les prochains jours."),
    (None, "Travaux en cours", "in_progress", "Nos équipes sont sur place."),
    (None, "Réparé", "fixed", "Le problème est résolu. Merci de votre vigilance."),
    (None, "Hors de nos compétences", "closed",
     "Ce lieu ne relève pas de la collectivité (domaine privé ou route départementale). "
     "Nous avons prévenu le gestionnaire."),
    ("voirie", "Enrobé à froid", "fixed",
     "Le nid-de-poule a été rebouché à l'enrobé à froid. Une reprise définitive sera faite "
     "lors de la prochaine campagne de voirie."),
    ("proprete", "Enquête dépôt sauvage", "fixed",
     "Le dépôt a été enlevé. Des éléments permettant d'identifier l'auteur ont été transmis "
     "à la police municipale."),
    ("collecte-dechets", "Rattrapage de collecte", "fixed",
     "L'équipe de collecte est repassée. Pensez à sortir votre bac la veille au soir."),
    ("eclairage-public", "Pièce commandée", "planned",
     "La pièce nécessaire est commandée ; l'intervention aura lieu dès sa réception."),
)  # fmt: skip

ACK_NOTES = (
    "Signalement pris en compte, merci. Une équipe va passer sur place.",
    "Merci pour votre signalement, nous le transmettons à l'équipe du secteur.",
    "Pris en compte. Nous allons vérifier sur place.",
)
PLANNED_NOTES = (
    "Intervention programmée la semaine prochaine.",
    "Intervention prévue dans les dix jours, selon la météo.",
    "Les travaux sont programmés avec d'autres interventions dans le quartier.",
)
IN_PROGRESS_NOTES = ("L'équipe est sur place.", "Les travaux ont commencé.")
NO_ACTION_NOTES = (
    "Après vérification sur place, il s'agit d'un terrain privé : nous avons écrit au "
    "propriétaire, mais la collectivité ne peut pas intervenir.",
    "Nous n'avons rien constaté à l'adresse indiquée lors de notre passage.",
    "Aucune intervention n'est possible avant les travaux de réfection prévus l'an prochain.",
)
NOT_RESPONSIBLE_NOTES = (
    "Cette route est départementale : nous avons transmis votre signalement au Département "
    "de la Charente-Maritime, qui en a la charge.",
    "Ce réseau relève du concessionnaire d'électricité ; nous l'avons prévenu.",
    "Il s'agit d'une parcelle de la SNCF : nous lui avons transmis votre signalement.",
)
CONFIRM_FIXED_NOTES = (
    "Merci, c'est réparé !",
    "Parfait, merci pour la rapidité.",
    "C'est bon, merci aux équipes.",
)
REOPEN_NOTES = (
    "Le problème est revenu après les dernières pluies.",
    "Ce n'est pas réparé : rien n'a changé sur place.",
    "Réparation partielle, il reste un trou juste à côté.",
)
ADDED_BY_REPORTER = (
    "C'est de pire en pire, merci d'intervenir rapidement.",
    "Un voisin a failli tomber ce matin.",
)
FLAG_REASONS = (
    "Propos insultants envers un voisin.",
    "Ce signalement contient le nom d'une personne.",
    "Publicité sans rapport avec un problème.",
    "Photo où l'on voit la plaque d'immatriculation.",
)
HIDDEN_TEXTS = (
    "Encore le voisin du 12 qui jette ses déchets, c'est un ****, il faut le verbaliser !",
    "Achetez vos pneus pas chers sur notre site, livraison rapide !!!",
    "Les agents de la mairie sont tous des fainéants, ils ne font jamais rien !",
)

FIRST_NAMES = (
    "Marie", "Jean", "Nathalie", "Philippe", "Isabelle", "Michel", "Sylvie", "Patrick",
    "Catherine", "Christophe", "Sandrine", "Thierry", "Céline", "Laurent", "Aurélie",
    "Nicolas", "Émilie", "Julien", "Chloé", "Hugo", "Léa", "Lucas", "Manon", "Louis",
)  # fmt: skip
STREETS = {
    "17299": (
        "avenue Charles de Gaulle", "rue de la République", "avenue Lafayette",
        "rue Pierre Loti", "cours Roy-Bry", "rue Audry de Puyravault", "avenue du 11 Novembre",
        "rue Jean Jaurès", "boulevard Pouzet", "rue Toufaire", "avenue de la Libération",
        "rue du Docteur Peltier", "quai aux Vivres", "rue Victor Hugo",
    ),
    "17449": ("rue de la Résistance", "avenue d'Aunis", "rue du Port", "rue Émile Zola"),
    "17168": ("boulevard de la Pointe de la Fumée", "rue de l'Océan", "avenue du Bois Vert",
              "rue du Général Bruncher"),
}  # fmt: skip
GENERIC_STREETS = (
    "rue de l'Église", "place de la Mairie", "route de Rochefort", "chemin des Marais",
    "rue des Écoles", "impasse des Peupliers", "rue du Moulin", "allée des Tilleuls",
)  # fmt: skip
