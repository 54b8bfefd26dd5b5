"""Words of the participation demo's processes, consultations and results (all fictitious)."""

from __future__ import annotations

# (slug, title, summary, description)
PROCESS_2026 = (
    "budget-participatif-2026",
    "Budget participatif 2026",
    "1,25 million d'euros d'investissement décidés par les habitants de Rochefort Océan.",
    "Pour la deuxième année, l'agglomération Rochefort Océan confie aux habitants le choix "
    "d'une partie de son budget d'investissement : 600 000 € pour des projets qui concernent "
    "tout le territoire et une enveloppe par secteur.\n\n"
    "Les habitants ont déposé leurs idées, les ont soutenues et commentées ; les services les "
    "ont étudiées et chiffrées. Le vote est ouvert : choisissez de un à trois projets par "
    "enveloppe, en ligne ou dans les bureaux de vote de la mairie et des médiathèques.",
)
PROCESS_2025 = (
    "budget-participatif-2025",
    "Budget participatif 2025",
    "La première édition : les projets votés en 2025 et l'avancement de leurs travaux.",
    "La première édition du budget participatif de Rochefort Océan a réuni plus de 1 500 "
    "votants. Les projets lauréats sont en cours de réalisation : suivez leurs études, leurs "
    "travaux et l'argent dépensé, projet par projet.",
)
PHASE_TITLES = {
    "information": "Présentation et réunions publiques",
    "proposals": "Dépôt des propositions",
    "supports": "Soutiens",
    "evaluation": "Étude par les services",
    "vote": "Vote",
    "results": "Résultats",
    "implementation": "Réalisation des projets",
}
# (title, description) of the 2026 budget
BUDGET_2026 = (
    "Budget participatif 2026",
    "Choisissez de un à trois projets dans l'enveloppe de tout le territoire et de un à trois "
    "dans celle de votre secteur. Les projets gagnants sont désignés par la méthode des parts "
    "égales : chaque votant dispose d'une part égale de l'enveloppe.",
)
BUDGET_2025 = (
    "Budget participatif 2025",
    "Choisissez de un à quatre projets par enveloppe. Les projets les plus votés sont financés "
    "tant que l'enveloppe le permet.",
)
WIDE_ENVELOPE = "Tout le territoire"
# Milestones of a result, in order: (title, description, share of the way from start to end).
MILESTONES = (
    ("Lancement des études", "Relevés sur place et rencontre avec les porteurs du projet.", 0.0),
    ("Concertation avec les riverains", "Réunion publique et choix de l'aménagement.", 0.2),
    ("Début des travaux", "Installation du chantier.", 0.45),
    ("Fin des travaux", "Réception des travaux par les services.", 0.85),
    ("Inauguration", "Inauguration ouverte à tous, avec les porteurs du projet.", 1.0),
)
ABANDONED = (
    "Projet abandonné : les sondages ont révélé une pollution du sol qui rendait le terrain "
    "impropre à cet usage. Le montant est reporté sur l'édition suivante."
)

CONSULTATION_OPEN = {
    "slug": "schema-cyclable-2026",
    "title": "Schéma cyclable de l'agglomération",
    "summary": "Donnez votre avis sur le projet de schéma cyclable 2026-2032 avant son "
    "adoption par le conseil communautaire.",
    "document": (
        "Le schéma cyclable fixe les itinéraires que l'agglomération aménagera d'ici 2032 : "
        "120 kilomètres de voies cyclables, dont 45 kilomètres de voies séparées de la "
        "circulation.\n\n"
        "Trois axes sont prioritaires : Rochefort – Fouras par Saint-Laurent-de-la-Prée, "
        "Rochefort – Tonnay-Charente le long de la Charente, Échillais – Soubise – "
        "Port-des-Barques.\n\n"
        "Le schéma prévoit aussi 400 places de stationnement vélo, dont 120 abritées près des "
        "gares et des collèges, et un service de location de vélos à assistance électrique."
    ),
    "questions": (
        ("Quel axe faut-il aménager en premier ?", "choice",
         ["Rochefort – Fouras", "Rochefort – Tonnay-Charente",
          "Échillais – Soubise – Port-des-Barques"], True),
        ("Qu'est-ce qui vous ferait prendre le vélo plus souvent ?", "choices",
         ["Des voies séparées des voitures", "Des abris vélo sécurisés",
          "La location de vélos électriques", "Des itinéraires balisés"], False),
        ("Avez-vous d'autres remarques sur le projet de schéma ?", "text", [], False),
    ),
}  # fmt: skip
OBSERVATIONS = (
    "La liaison vers Fouras est vraiment dangereuse, c'est la priorité absolue.",
    "Il manque une liaison entre Breuil-Magné et la gare de Rochefort.",
    "Pensez aux cyclistes qui travaillent à l'Arsenal et à l'hôpital : les horaires décalés.",
    "Très bon projet, mais 2032 c'est loin. Peut-on commencer par des aménagements légers ?",
    "Les voies vertes doivent rester accessibles aux cavaliers dans les marais.",
    "Prévoir un éclairage sur les tronçons utilisés par les collégiens en hiver.",
    "Le pont transbordeur devrait être intégré à l'itinéraire vers Échillais.",
    "Les bandes cyclables peintes ne protègent pas : il faut des voies séparées.",
    "",
)
CONSULTATION_CLOSED = {
    "slug": "berges-de-la-charente",
    "title": "Aménagement des berges de la Charente",
    "summary": "Consultation sur le projet de promenade le long des berges entre la Corderie "
    "royale et le pont transbordeur.",
    "document": (
        "Le projet prévoit une promenade continue de trois kilomètres le long de la Charente, "
        "des pontons de pêche, deux aires de pique-nique et la renaturation de la rive.\n\n"
        "Les observations recueillies seront analysées et une synthèse sera publiée avec les "
        "suites que l'agglomération leur donne."
    ),
    "synthesis": (
        "La consultation a recueilli 12 observations. Les participants approuvent largement "
        "la promenade ; ils demandent qu'elle reste praticable à vélo (7 observations), "
        "qu'elle soit éclairée sans gêner la faune (4) et que les pontons soient accessibles "
        "aux fauteuils roulants (3).\n\n"
        "Suites données : la promenade sera partagée piétons-vélos sur toute sa longueur, "
        "l'éclairage sera limité aux accès et équipé de détecteurs, et les deux pontons seront "
        "accessibles. Les travaux commenceront à l'automne."
    ),
}
CLOSED_OBSERVATIONS = (
    "Il faut que la promenade soit praticable à vélo, pas seulement à pied.",
    "Un éclairage doux suffira : les chauves-souris chassent le long de la rive.",
    "Les pontons doivent être accessibles en fauteuil roulant.",
    "Merci de garder les roseaux, ils protègent la berge de l'érosion.",
    "Prévoir des poubelles et des toilettes près des aires de pique-nique.",
    "Une belle idée pour relier la Corderie au pont transbordeur.",
)
