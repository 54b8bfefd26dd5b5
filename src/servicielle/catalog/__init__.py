"""Open data catalog: datasets, datastore, CKAN Action API, ODS-style records, DCAT-AP."""
