// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Finds people and phones by any word of their names or aliases, in any case (queries/find_actor.cypher).
CREATE FULLTEXT INDEX actor_search IF NOT EXISTS
FOR (x:Person|Phone) ON EACH [x.full_name, x.names, x.aliases, x.msisdn]
OPTIONS {indexConfig: {`fulltext.analyzer`: 'standard-no-stop-words'}}
