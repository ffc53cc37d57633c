// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Serves queries of the library that filter or sort on Phone.betweenness.
CREATE RANGE INDEX phone_betweenness IF NOT EXISTS
FOR (x:Phone) ON (x.betweenness)
