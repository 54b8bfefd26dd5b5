"""The CKAN Action API subset ckanapi and data.gouv.fr's harvester rely on."""
