// Title: Money trail from an account
// Description: Chains of transfers leaving an account, hop by hop, where each transfer could
//   follow the one before it in time (it was last seen no earlier than the previous one was
//   first seen), with amounts, currencies and the holders of the accounts reached.
// Param: case_id STRING, e.g. "demo": the case (graphkit query fills it in)
// Param: account_id STRING, e.g. "IT60X0542811101000000000000": the account (compact IBAN)
// Param: hops INTEGER, default 4: most transfers in a chain, 1 to 6
// Param: min_amount FLOAT, default 0.0: smallest total amount of a transfer followed
// Param: limit INTEGER, default 100: most chains returned
// Returns: path, hops, accounts, amounts, currencies, first_times, last_holder
MATCH (src:Account {case_id: $case_id, account_id: $account_id})
MATCH path = (src)-[:TRANSFERRED*1..6]->(dst:Account)
WHERE length(path) <= $hops
  AND all(t IN relationships(path) WHERE t.amount >= $min_amount)
  AND all(
    i IN range(0, length(path) - 2)
    WHERE relationships(path)[i].first <= relationships(path)[i + 1].last
  )
OPTIONAL MATCH (holder:Person)-[:HOLDS]->(dst)
RETURN
  path,
  length(path) AS hops,
  [n IN nodes(path) | n.account_id] AS accounts,
  [t IN relationships(path) | t.amount] AS amounts,
  [t IN relationships(path) | t.currency] AS currencies,
  [t IN relationships(path) | t.first] AS first_times,
  collect(holder.full_name) AS last_holder
ORDER BY hops, accounts
LIMIT $limit
