"""Real-time data hub: NGSI-LD entities, observations, time series, subscriptions."""
