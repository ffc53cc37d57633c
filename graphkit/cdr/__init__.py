"""Call-record tools: co-location, scenes, common contacts, connecting networks."""
