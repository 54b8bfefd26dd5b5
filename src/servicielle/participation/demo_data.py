"""What the participation demo is made of: themes, places and ideas of the Rochefort Océan
territory, in French, all fictitious (the places are real, the proposals invented).
"""

from __future__ import annotations

from dataclasses import dataclass

SEED = 20260601
# The domain of the lightweight demo inhabitants: accounts nobody can sign in to.
INHABITANTS_DOMAIN = "habitants.demo.servicielle.fr"
INHABITANTS = 240
ADMIN = "admin@demo.servicielle.fr"
AGENT = "agent.voirie@demo.servicielle.fr"
INHABITANT = "habitant@demo.servicielle.fr"

CATEGORIES = (
    ("nature-en-ville", "Nature en ville"),
    ("mobilites-douces", "Mobilités douces"),
    ("sport-et-loisirs", "Sport et loisirs"),
    ("culture-et-patrimoine", "Culture et patrimoine"),
    ("solidarites", "Solidarités"),
    ("cadre-de-vie", "Cadre de vie"),
    ("jeunesse", "Jeunesse"),
    ("ecologie", "Écologie et climat"),
)


@dataclass(frozen=True)
class Place:
    """Where a proposal is made: a commune, its geozone if any, and how to say "there"."""

    commune: str  # INSEE code
    zone: str | None  # geozone slug: a Rochefort sector or a group of communes
    phrase: str  # "à Fouras", "au Faubourg"
    address: str
    weight: int  # inhabitants propose where they live: Rochefort and Tonnay-Charente most


PLACES = (
    Place("17299", "rochefort-secteur-nord-est", "au centre-ville de Rochefort",
          "Rue de la République, Rochefort", 6),
    Place("17299", "rochefort-secteur-nord-est", "près de la Corderie royale",
          "Rue Jean-Baptiste Audebert, Rochefort", 3),
    Place("17299", "rochefort-secteur-nord-ouest", "au Petit-Marseille",
          "Avenue du 11 Novembre 1918, Rochefort", 4),
    Place("17299", "rochefort-secteur-nord-ouest", "à l'Avant-Garde",
          "Rue de l'Avant-Garde, Rochefort", 3),
    Place("17299", "rochefort-secteur-sud-ouest", "à Champlain",
          "Avenue de Champlain, Rochefort", 4),
    Place("17299", "rochefort-secteur-sud-ouest", "à Libération",
          "Avenue de la Libération, Rochefort", 3),
    Place("17299", "rochefort-secteur-sud-est", "au Faubourg",
          "Avenue Charles de Gaulle, Rochefort", 4),
    Place("17299", "rochefort-secteur-sud-est", "près de la gare de Rochefort",
          "Avenue du Président Wilson, Rochefort", 3),
    Place("17449", "rochefort-et-couronne", "à Tonnay-Charente",
          "Quai de la Charente, Tonnay-Charente", 6),
    Place("17463", "rochefort-et-couronne", "à Vergeroux", "Rue de la Mairie, Vergeroux", 2),
    Place("17065", "rochefort-et-couronne", "à Breuil-Magné", "Place de l'Église, Breuil-Magné", 2),
    Place("17146", "rochefort-et-couronne", "à Échillais", "Rue du Bac, Échillais", 3),
    Place("17168", "littoral-et-iles", "à Fouras", "Boulevard de la Plage, Fouras", 5),
    Place("17004", "littoral-et-iles", "à l'île d'Aix", "Rue Gourgaud, Île-d'Aix", 2),
    Place("17484", "littoral-et-iles", "à Port-des-Barques",
          "Avenue de l'Île Madame, Port-des-Barques", 3),
    Place("17329", "littoral-et-iles", "à Saint-Froult", "Rue des Marais, Saint-Froult", 1),
    Place("17237", "littoral-et-iles", "à Moëze", "Rue de la Citadelle, Moëze", 1),
    Place("17375", "littoral-et-iles", "à Saint-Nazaire-sur-Charente",
          "Rue du Port, Saint-Nazaire-sur-Charente", 2),
    Place("17429", None, "à Soubise", "Rue de la Poste, Soubise", 2),
    Place("17308", None, "à Saint-Agnant", "Place de la Mairie, Saint-Agnant", 2),
    Place("17353", None, "à Saint-Laurent-de-la-Prée", "Rue du Marais, Saint-Laurent-de-la-Prée",
          2),
    Place("17253", None, "à Muron", "Rue de l'École, Muron", 1),
    Place("17075", None, "à Cabariot", "Route de Saint-Jean-d'Angély, Cabariot", 1),
    Place("17346", None, "à Saint-Hippolyte", "Rue du Bourg, Saint-Hippolyte", 1),
    Place("17216", None, "à Lussant", "Rue des Écoles, Lussant", 1),
    Place("17036", None, "à Beaugeay", "Place de l'Église, Beaugeay", 1),
)  # fmt: skip


@dataclass(frozen=True)
class Idea:
    """A proposal people make, possibly in several places: ``{lieu}`` is the place's phrase."""

    category: str
    title: str
    body: str
    cost: tuple[int, int]  # the authority's estimate, whole euros
    wide: bool = False  # for the whole territory: the territory-wide envelope
    popularity: float = 1.0


IDEAS = (
    Idea("nature-en-ville", "Un jardin partagé {lieu}",
         "Une parcelle en friche pourrait devenir un jardin partagé : des carrés potagers, un "
         "cabanon à outils et un récupérateur d'eau de pluie. Des voisins sont prêts à "
         "l'animer avec l'école et le centre social.", (15_000, 35_000), popularity=1.4),
    Idea("nature-en-ville", "Planter un verger {lieu}",
         "Pommiers, poiriers, figuiers : un petit verger en libre cueillette sur un espace vert "
         "peu utilisé, avec des panneaux pour apprendre à tailler et à greffer.",
         (8_000, 20_000)),
    Idea("nature-en-ville", "Des nichoirs et des hôtels à insectes {lieu}",
         "Installer une trentaine de nichoirs à mésanges et à martinets et des hôtels à "
         "insectes, fabriqués avec le lycée professionnel, et suivre leur occupation avec la "
         "LPO.", (3_000, 8_000), popularity=0.8),
    Idea("nature-en-ville", "Végétaliser la cour de l'école {lieu}",
         "Remplacer une partie du bitume de la cour par des arbres, de la pelouse et des "
         "copeaux : plus d'ombre l'été, moins de chaleur et un sol qui boit la pluie.",
         (60_000, 140_000), popularity=1.6),
    Idea("nature-en-ville", "Des arbres d'ombre sur la place {lieu}",
         "La place est une fournaise en juillet. Planter une dizaine d'arbres en pleine terre "
         "et des bancs à leur pied pour que les anciens puissent s'y asseoir.",
         (25_000, 60_000), popularity=1.3),
    Idea("nature-en-ville", "Un sentier pédagogique dans les marais",
         "Un sentier balisé avec des panneaux sur la faune et la flore des marais de la "
         "Charente, des observatoires à oiseaux et un livret pour les écoles du territoire.",
         (120_000, 220_000), wide=True, popularity=1.2),
    Idea("mobilites-douces", "Une piste cyclable sécurisée entre Rochefort et Fouras",
         "La route est dangereuse pour les vélos, surtout l'été. Une voie cyclable séparée "
         "permettrait aux collégiens et aux saisonniers de circuler sans risque jusqu'à la "
         "plage.", (350_000, 550_000), wide=True, popularity=2.2),
    Idea("mobilites-douces", "Un abri vélo sécurisé {lieu}",
         "Un abri fermé, accessible avec un badge, pour laisser son vélo la journée sans "
         "craindre le vol, avec quelques prises pour les vélos électriques.",
         (18_000, 40_000), popularity=1.3),
    Idea("mobilites-douces", "Des arceaux à vélo devant les commerces {lieu}",
         "Les vélos sont accrochés aux poteaux et gênent les piétons. Une vingtaine d'arceaux "
         "devant la boulangerie, la pharmacie et le marché suffiraient.", (4_000, 9_000)),
    Idea("mobilites-douces", "Une zone de rencontre devant l'école {lieu}",
         "Limiter la vitesse à 20 km/h, élargir le trottoir et peindre un parcours ludique "
         "pour que les enfants puissent venir à pied ou à vélo en sécurité.",
         (30_000, 70_000), popularity=1.2),
    Idea("mobilites-douces", "Relier les communes du marais par une voie verte",
         "Une voie verte continue entre Saint-Agnant, Soubise et Port-des-Barques, sur "
         "d'anciens chemins agricoles, pour les vélos, les piétons et les cavaliers.",
         (280_000, 450_000), wide=True, popularity=1.5),
    Idea("mobilites-douces", "Un atelier de réparation de vélos en libre-service {lieu}",
         "Une station avec pompe et outils attachés, et une fois par mois un atelier animé par "
         "une association pour apprendre à réparer soi-même.", (5_000, 12_000)),
    Idea("mobilites-douces", "Des bancs pour faire une pause sur le chemin du marché {lieu}",
         "Pour les personnes âgées, le trajet jusqu'au marché est long : quelques bancs tous "
         "les 200 mètres leur permettraient de continuer à y aller à pied.", (6_000, 14_000)),
    Idea("sport-et-loisirs", "Un skatepark {lieu}",
         "Les jeunes font du skate et de la trottinette sur le parking de la salle des fêtes. "
         "Un skatepark en béton, conçu avec eux, leur donnerait un lieu à eux.",
         (90_000, 180_000), popularity=1.5),
    Idea("sport-et-loisirs", "Une aire de jeux pour les petits {lieu}",
         "Il n'y a pas de jeux pour les moins de 6 ans dans le quartier. Une aire clôturée avec "
         "toboggan, balançoires et sol souple, et des bancs pour les parents.",
         (35_000, 80_000), popularity=1.6),
    Idea("sport-et-loisirs", "Des agrès de sport en plein air {lieu}",
         "Barres de traction, banc d'abdominaux, vélo elliptique : un espace de fitness "
         "gratuit le long du parcours de footing.", (20_000, 45_000), popularity=1.1),
    Idea("sport-et-loisirs", "Un terrain multisport {lieu}",
         "Un city-stade pour le foot, le basket et le handball, ouvert à tous, avec un "
         "revêtement qui ne fait pas de bruit.", (70_000, 120_000), popularity=1.3),
    Idea("sport-et-loisirs", "Une table de ping-pong et des jeux de boules {lieu}",
         "Une table de ping-pong en béton et un terrain de pétanque éclairé pour se retrouver "
         "entre voisins les soirs d'été.", (7_000, 16_000)),
    Idea("sport-et-loisirs", "Un parcours de course d'orientation permanent",
         "Des balises fixes dans les bois et les marais de plusieurs communes, avec des cartes "
         "à télécharger, pour les familles, les clubs et les écoles.", (40_000, 90_000),
         wide=True),
    Idea("culture-et-patrimoine", "Une boîte à livres {lieu}",
         "Une ancienne cabine ou une boîte en bois où chacun dépose et emprunte des livres "
         "librement, entretenue par les bénévoles de la médiathèque.", (1_500, 4_000),
         popularity=0.9),
    Idea("culture-et-patrimoine", "Restaurer le lavoir {lieu}",
         "Le vieux lavoir s'abîme : toiture à reprendre, bassin à nettoyer. Restauré, il "
         "deviendrait une halte pour les promeneurs avec un panneau sur son histoire.",
         (45_000, 110_000), popularity=1.1),
    Idea("culture-et-patrimoine", "Des concerts gratuits l'été sur les quais",
         "Quatre soirées de concerts en plein air avec les écoles de musique et les groupes du "
         "territoire, en tournant dans plusieurs communes.", (30_000, 60_000), wide=True),
    Idea("culture-et-patrimoine", "Un parcours sonore sur l'histoire de l'Arsenal",
         "Des bornes et une application pour écouter, en se promenant, les récits des "
         "ouvriers de l'Arsenal, des cordiers et des marins.", (50_000, 95_000), wide=True),
    Idea("culture-et-patrimoine", "Une fresque participative {lieu}",
         "Un mur gris transformé en fresque avec un artiste local et les habitants, sur le "
         "thème de l'estuaire et des oiseaux du marais.", (10_000, 25_000)),
    Idea("culture-et-patrimoine", "Un kiosque à musique {lieu}",
         "Un kiosque couvert pour les fanfares, les bals et les répétitions en plein air, "
         "utilisable aussi comme abri les jours de marché.", (60_000, 120_000)),
    Idea("solidarites", "Un frigo solidaire {lieu}",
         "Un réfrigérateur en accès libre où commerçants et habitants déposent les produits "
         "qu'ils ne consommeront pas, géré avec l'épicerie sociale.", (4_000, 10_000),
         popularity=1.2),
    Idea("solidarites", "Une laverie solidaire pour les familles",
         "Des machines à laver et des sèche-linge à prix réduit dans un local de "
         "l'agglomération, avec un espace pour attendre et se rencontrer.",
         (80_000, 150_000), wide=True),
    Idea("solidarites", "Des toilettes publiques accessibles {lieu}",
         "Il n'y a pas de toilettes publiques ouvertes toute l'année. Un bloc accessible aux "
         "fauteuils roulants, avec une table à langer.", (40_000, 75_000), popularity=1.2),
    Idea("solidarites", "Un minibus pour les personnes âgées des villages",
         "Un minibus électrique à la demande pour aller au marché, chez le médecin ou à la "
         "médiathèque, conduit par des bénévoles formés.", (70_000, 110_000), wide=True,
         popularity=1.4),
    Idea("solidarites", "Un local pour les associations {lieu}",
         "Une salle équipée à partager entre les associations du quartier : réunions, "
         "permanences, cours de français, aide aux devoirs.", (50_000, 120_000)),
    Idea("cadre-de-vie", "Des ombrières sur le parking {lieu}",
         "Des ombrières photovoltaïques sur le parking : les voitures restent à l'ombre et "
         "l'électricité produite alimente l'éclairage public.", (150_000, 280_000),
         popularity=1.1),
    Idea("cadre-de-vie", "Une fontaine à eau potable {lieu}",
         "Une fontaine à boire, avec un robinet pour remplir les gourdes, près des jeux et du "
         "terrain de sport : indispensable pendant les canicules.", (6_000, 15_000),
         popularity=1.3),
    Idea("cadre-de-vie", "Éclairer le chemin piéton {lieu}",
         "Le chemin est très sombre l'hiver et on n'ose plus l'emprunter. Un éclairage à LED "
         "avec détecteur de présence, qui respecte la faune la nuit.", (20_000, 50_000)),
    Idea("cadre-de-vie", "Rénover les bancs et les poubelles de la promenade {lieu}",
         "Les bancs sont cassés et les poubelles débordent le week-end. Des bancs neufs et des "
         "corbeilles de tri le long de la promenade.", (12_000, 30_000)),
    Idea("cadre-de-vie", "Un marché couvert de producteurs {lieu}",
         "Une halle légère pour accueillir les producteurs locaux le samedi matin, à l'abri "
         "de la pluie et du soleil.", (120_000, 240_000)),
    Idea("cadre-de-vie", "Des toilettes sèches sur les lieux de promenade {lieu}",
         "L'été, les promeneurs n'ont aucune toilette : des toilettes sèches entretenues par "
         "une entreprise d'insertion, sans eau ni raccordement.", (15_000, 30_000)),
    Idea("jeunesse", "Un lieu pour les ados {lieu}",
         "Les 12-17 ans n'ont nulle part où se retrouver. Un local avec un animateur, des jeux, "
         "du wifi et des ateliers le mercredi et pendant les vacances.", (60_000, 130_000),
         popularity=1.2),
    Idea("jeunesse", "Un studio de musique pour les jeunes",
         "Un studio d'enregistrement et de répétition à prix réduit pour les groupes de "
         "jeunes, dans un local de l'agglomération à Rochefort.", (45_000, 90_000), wide=True),
    Idea("jeunesse", "Des ateliers numériques pour les collégiens",
         "Codage, robotique, fabrication numérique : des ateliers gratuits dans les "
         "médiathèques du territoire, avec du matériel qui circule d'une commune à l'autre.",
         (25_000, 50_000), wide=True),
    Idea("jeunesse", "Une cabane dans les arbres à l'accueil de loisirs {lieu}",
         "Une cabane en bois sécurisée et un parcours d'équilibre pour l'accueil de loisirs, "
         "construits avec un chantier de jeunes.", (15_000, 35_000)),
    Idea("ecologie", "Des composteurs collectifs {lieu}",
         "Trois bacs de compostage en pied d'immeuble, avec un guide composteur formé par "
         "l'agglomération : moins de déchets et du compost pour les jardins.",
         (2_500, 6_000), popularity=1.1),
    Idea("ecologie", "Récupérer l'eau de pluie des bâtiments communaux {lieu}",
         "Des cuves sous les gouttières de la salle des fêtes et des ateliers pour arroser les "
         "massifs et laver les véhicules sans eau potable.", (15_000, 40_000)),
    Idea("ecologie", "Désimperméabiliser le parking {lieu}",
         "Remplacer l'enrobé par des pavés drainants et des noues plantées : l'eau s'infiltre, "
         "les inondations diminuent et le parking est moins chaud.", (80_000, 160_000)),
    Idea("ecologie", "Une ressourcerie pour réparer et revendre",
         "Un lieu où déposer meubles, vélos et électroménager, les réparer avec un chantier "
         "d'insertion et les revendre à petit prix aux habitants du territoire.",
         (150_000, 260_000), wide=True, popularity=1.3),
    Idea("ecologie", "Des panneaux solaires sur le gymnase {lieu}",
         "Le toit du gymnase est plat et bien orienté : des panneaux solaires en "
         "autoconsommation réduiraient la facture d'électricité de la commune.",
         (90_000, 170_000)),
    Idea("ecologie", "Protéger les haies du bocage",
         "Replanter dix kilomètres de haies champêtres avec les agriculteurs volontaires et "
         "les écoles, pour les oiseaux, les sols et l'eau.", (60_000, 120_000), wide=True),
)  # fmt: skip

# Words of people discussing a proposal; replies answer a first comment.
COMMENTS = (
    "Excellente idée, je soutiens à cent pour cent.",
    "On en parle depuis des années dans le quartier, il est temps !",
    "Bonne idée, mais qui va entretenir l'installation ensuite ?",
    "Attention au bruit pour les riverains, il faudrait prévoir des horaires.",
    "Je suis d'accord, mes enfants en profiteraient tous les jours.",
    "Le coût me paraît élevé pour ce que c'est. Peut-on faire plus simple ?",
    "Il faudrait le rendre accessible aux personnes à mobilité réduite dès le départ.",
    "Pourquoi pas, mais l'emplacement proposé est souvent inondé l'hiver.",
    "Notre association est prête à donner un coup de main pour l'animation.",
    "À combiner avec la proposition voisine, les deux se complètent bien.",
    "Très bien pour l'été, mais pensez aussi aux usages l'hiver.",
    "J'habite juste à côté et j'aimerais être associé au projet.",
)
REPLIES = (
    "Tout à fait d'accord avec vous.",
    "Les services techniques pourraient s'en charger, c'est déjà le cas ailleurs.",
    "Je ne pense pas que ce soit un problème, le lieu est éloigné des maisons.",
    "Bonne remarque, je l'ajoute à la proposition.",
    "On pourrait demander aux jeunes du quartier de participer au choix.",
)
OFFICIAL_COMMENTS = (
    "Les services de l'agglomération étudient la faisabilité technique de cette proposition ; "
    "une réponse sera publiée à la fin de la phase d'évaluation.",
    "Merci pour vos contributions. Un rendez-vous sur place est prévu avec les porteurs de la "
    "proposition et les riverains.",
)
ACCEPTED = (
    "Proposition jugée réalisable par les services : elle est soumise au vote avec un coût "
    "estimé de {cost}. La commune et l'agglomération ont validé l'emplacement.",
    "Après une visite sur place, la proposition est retenue pour le vote. L'estimation "
    "comprend les études, les travaux et trois ans d'entretien : {cost}.",
    "Proposition recevable et chiffrée à {cost}. Elle est regroupée avec les demandes "
    "similaires du même secteur et soumise au vote.",
)
REJECTED = (
    "La proposition relève du fonctionnement courant et non de l'investissement : elle est "
    "transmise au service concerné, qui la programmera dans son budget annuel.",
    "Le terrain visé appartient au Département : l'agglomération ne peut pas y réaliser de "
    "travaux. Le Département en a été informé.",
    "Le coût estimé dépasse l'enveloppe disponible pour ce secteur ; la proposition pourra "
    "être présentée à nouveau dans une version plus modeste.",
    "Un projet équivalent est déjà programmé dans le plan pluriannuel d'investissement de la "
    "commune : les travaux commenceront l'an prochain.",
    "L'emplacement se trouve en zone inondable du plan de prévention des risques littoraux : "
    "aucune construction n'y est autorisée.",
)
EVALUATING = (
    "Proposition en cours d'étude par les services techniques : un chiffrage est attendu.",
    "Les services vérifient la disponibilité du terrain auprès de la commune.",
)
MERGED = "Proposition fusionnée avec une proposition identique du même quartier, n° {original}."
FIRST_NAMES = (
    "Camille", "Louis", "Manon", "Hugo", "Chloé", "Lucas", "Inès", "Jules", "Léa", "Gabriel",
    "Emma", "Arthur", "Sarah", "Nathan", "Lina", "Paul", "Anaïs", "Théo", "Zoé", "Martin",
    "Élise", "Yanis", "Margaux", "Rémi", "Fatou", "Karim", "Brigitte", "Michel", "Sylvie",
    "Jean-Pierre", "Nadia", "Bernard", "Odile", "Mathis", "Agathe", "Samir",
)  # fmt: skip
LAST_INITIALS = "ABCDEFGHJLMNPRSTV"
STATIONS = {
    "rochefort-secteur-nord-est": "Mairie de Rochefort",
    "rochefort-secteur-nord-ouest": "Maison de quartier du Petit-Marseille",
    "rochefort-secteur-sud-ouest": "Centre social de Champlain",
    "rochefort-secteur-sud-est": "Médiathèque de Rochefort",
    "rochefort-et-couronne": "Médiathèque de Tonnay-Charente",
    "littoral-et-iles": "Mairie de Fouras",
    None: "Siège de l'agglomération",
}
