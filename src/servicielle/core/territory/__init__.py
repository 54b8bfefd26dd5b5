"""Territory: communes, geozones, organisations and the point lookup."""
