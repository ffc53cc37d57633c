// Title: Connecting network between target actors
// Description: The actors on a shortest chain of at most max_steps ties between some pair of
//   the targets (i2's Find Connecting Network), each with the pairs it connects. A step is a
//   tie between two actors (a person, or a phone no person uses), as in the actor graph of
//   `graphkit connect`: calls or texts between their phones (CALLED), transfers between
//   their accounts (TRANSFERRED, accounts through HOLDS), a CONTACT. Bounded: ties are
//   followed from each target one step at a time, at most 3 steps (a larger max_steps
//   counts as 3). A phone is its latest user's (USES last, then the smallest person id) and an
//   account its holder's (the smallest person id), as in the actor graph; numbers joined by
//   confirmed hand-offs stay apart here. How it relates to `graphkit connect`
//   (graphkit/cdr/contacts.py): the same steps for every pair of targets, but this query
//   returns every actor on some shortest chain, while `graphkit connect` then drops, one at
//   a time, intermediaries that no pair's distance needs, so its network is a subset of this
//   one; it also filters ties by layer and time. Targets no other target reaches are listed
//   with no pairs.
// Param: case_id STRING, e.g. "demo": the case (graphkit query fills it in)
// Param: targets LIST<STRING>, e.g. ["P-N3", "P-N10"]: the target actors: person ids, or phone numbers for phone actors
// Param: max_steps INTEGER, default 2: most ties on a chain between two targets, 1 to 3
// Returns: actor (the node), actor_id, name, phones, is_target, pairs (each pair of targets
//   it lies between, with their steps)
UNWIND $targets AS target_id
OPTIONAL MATCH (person:Person {case_id: $case_id, person_id: target_id})
OPTIONAL MATCH (phone:Phone {case_id: $case_id, msisdn: target_id})
WITH coalesce(person, phone) AS t
WHERE t IS NOT NULL
WITH DISTINCT t
// rings: the actors exactly 1, 2 and 3 steps from each target
CALL (t) {
  CALL (t) {
    UNWIND CASE WHEN $max_steps >= 1 THEN [t] ELSE [] END AS x
    CALL (x) {
      // calls and texts, and contacts: from the actor or a phone whose actor it is
      MATCH (x)-[:USES]->{0,1}(p)-[c:CALLED|CONTACT]-(q)
      WHERE type(c) = 'CONTACT' OR c.calls > 0 OR c.sms > 0
      CALL (p) {
        OPTIONAL MATCH (o:Person)-[u:USES]->(p)
        RETURN o AS p_owner ORDER BY u.last IS NULL, u.last DESC, o.person_id LIMIT 1
      }
      WITH x, p, p_owner, q
      WHERE coalesce(p_owner, p) = x
      CALL (q) {
        OPTIONAL MATCH (o:Person)-[u:USES]->(q)
        RETURN o AS q_owner ORDER BY u.last IS NULL, u.last DESC, o.person_id LIMIT 1
      }
      RETURN coalesce(q_owner, q) AS y
      UNION
      // transfers between accounts, each account its holder's (the smallest person id)
      MATCH (x)-[:HOLDS]->(s:Account)-[:TRANSFERRED]-(d:Account)
      CALL (s) {
        MATCH (h:Person)-[:HOLDS]->(s)
        RETURN min(h.person_id) AS s_holder
      }
      WITH x, s_holder, d
      WHERE s_holder = x.person_id
      CALL (d) {
        MATCH (h:Person)-[:HOLDS]->(d)
        RETURN h AS y ORDER BY h.person_id LIMIT 1
      }
      RETURN y
    }
    RETURN collect(DISTINCT y) AS reach
  }
  WITH t, [v IN reach WHERE v <> t] AS ring1
  CALL (ring1) {
    UNWIND CASE WHEN $max_steps >= 2 THEN ring1 ELSE [] END AS x
    CALL (x) {
      // calls and texts, and contacts: from the actor or a phone whose actor it is
      MATCH (x)-[:USES]->{0,1}(p)-[c:CALLED|CONTACT]-(q)
      WHERE type(c) = 'CONTACT' OR c.calls > 0 OR c.sms > 0
      CALL (p) {
        OPTIONAL MATCH (o:Person)-[u:USES]->(p)
        RETURN o AS p_owner ORDER BY u.last IS NULL, u.last DESC, o.person_id LIMIT 1
      }
      WITH x, p, p_owner, q
      WHERE coalesce(p_owner, p) = x
      CALL (q) {
        OPTIONAL MATCH (o:Person)-[u:USES]->(q)
        RETURN o AS q_owner ORDER BY u.last IS NULL, u.last DESC, o.person_id LIMIT 1
      }
      RETURN coalesce(q_owner, q) AS y
      UNION
      // transfers between accounts, each account its holder's (the smallest person id)
      MATCH (x)-[:HOLDS]->(s:Account)-[:TRANSFERRED]-(d:Account)
      CALL (s) {
        MATCH (h:Person)-[:HOLDS]->(s)
        RETURN min(h.person_id) AS s_holder
      }
      WITH x, s_holder, d
      WHERE s_holder = x.person_id
      CALL (d) {
        MATCH (h:Person)-[:HOLDS]->(d)
        RETURN h AS y ORDER BY h.person_id LIMIT 1
      }
      RETURN y
    }
    RETURN collect(DISTINCT y) AS reach
  }
  WITH t, ring1, [v IN reach WHERE v <> t AND NOT v IN ring1] AS ring2
  CALL (ring2) {
    UNWIND CASE WHEN $max_steps >= 3 THEN ring2 ELSE [] END AS x
    CALL (x) {
      // calls and texts, and contacts: from the actor or a phone whose actor it is
      MATCH (x)-[:USES]->{0,1}(p)-[c:CALLED|CONTACT]-(q)
      WHERE type(c) = 'CONTACT' OR c.calls > 0 OR c.sms > 0
      CALL (p) {
        OPTIONAL MATCH (o:Person)-[u:USES]->(p)
        RETURN o AS p_owner ORDER BY u.last IS NULL, u.last DESC, o.person_id LIMIT 1
      }
      WITH x, p, p_owner, q
      WHERE coalesce(p_owner, p) = x
      CALL (q) {
        OPTIONAL MATCH (o:Person)-[u:USES]->(q)
        RETURN o AS q_owner ORDER BY u.last IS NULL, u.last DESC, o.person_id LIMIT 1
      }
      RETURN coalesce(q_owner, q) AS y
      UNION
      // transfers between accounts, each account its holder's (the smallest person id)
      MATCH (x)-[:HOLDS]->(s:Account)-[:TRANSFERRED]-(d:Account)
      CALL (s) {
        MATCH (h:Person)-[:HOLDS]->(s)
        RETURN min(h.person_id) AS s_holder
      }
      WITH x, s_holder, d
      WHERE s_holder = x.person_id
      CALL (d) {
        MATCH (h:Person)-[:HOLDS]->(d)
        RETURN h AS y ORDER BY h.person_id LIMIT 1
      }
      RETURN y
    }
    RETURN collect(DISTINCT y) AS reach
  }
  RETURN [[t], ring1, ring2,
    [v IN reach WHERE v <> t AND NOT v IN ring1 AND NOT v IN ring2]] AS rings
}
WITH collect({target: t, rings: rings}) AS reached
// an actor v lies on a shortest chain between targets a and b when
// steps(a, v) + steps(v, b) = steps(a, b)
CALL (reached) {
  UNWIND range(0, size(reached) - 2) AS i
  UNWIND range(i + 1, size(reached) - 1) AS j
  WITH reached[i] AS a, reached[j] AS b
  WITH a, b, [k IN range(1, 3) WHERE b.target IN a.rings[k]][0] AS steps
  WHERE steps IS NOT NULL
  UNWIND range(0, steps) AS k
  UNWIND a.rings[k] AS v
  WITH a, b, steps, k, v
  WHERE v IN b.rings[steps - k]
  // each hit: [actor, the pair of targets it lies between]
  RETURN collect([v, {
    a: coalesce(a.target.person_id, a.target.msisdn),
    b: coalesce(b.target.person_id, b.target.msisdn),
    steps: steps
  }]) AS hits
}
WITH [r IN reached | r.target] AS targets, hits
UNWIND targets + [h IN hits | h[0]] AS n
WITH DISTINCT targets, hits, n
RETURN
  n AS actor,
  coalesce(n.person_id, n.msisdn) AS actor_id,
  coalesce(n.full_name, n.msisdn) AS name,
  CASE WHEN n:Phone THEN [n.msisdn] ELSE [(n)-[:USES]->(p:Phone) | p.msisdn] END AS phones,
  n IN targets AS is_target,
  [h IN hits WHERE h[0] = n | h[1]] AS pairs
ORDER BY is_target DESC, actor_id
