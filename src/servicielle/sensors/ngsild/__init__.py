"""NGSI-LD (ETSI GS CIM 009) API of the real-time hub."""
