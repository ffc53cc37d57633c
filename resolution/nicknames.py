"""A small table of given-name hypocorisms (nickname -> canonical name).

Written for graphkit from common public knowledge of English and Italian naming practice; it
maps a familiar form to the formal name most often behind it. It is deliberately short and
conservative: a nickname shared by several formal names (e.g. "nino", "al") is left out, because
a wrong canonical form would create false matches that no later comparison can undo.
"""

from __future__ import annotations

__all__ = ["NICKNAMES", "PARTICLES", "TITLES"]

_GROUPS: dict[str, tuple[str, ...]] = {
    # English
    "abraham": ("abe",),
    "alexander": ("alex", "alec", "sandy", "xander"),
    "alexandra": ("alexa", "sandra"),
    "alfred": ("alf", "alfie", "fred"),
    "andrew": ("andy", "drew"),
    "anthony": ("tony", "antony"),
    "arthur": ("art", "artie"),
    "barbara": ("barb", "babs"),
    "benjamin": ("ben", "benny", "benji"),
    "bernard": ("bernie",),
    "catherine": ("cathy", "kate", "katie", "kathy", "katherine", "kathryn", "cate", "kitty"),
    "charles": ("charlie", "chuck", "chas", "chaz"),
    "christopher": ("chris", "kit", "topher"),
    "christine": ("chrissy", "tina"),
    "daniel": ("dan", "danny"),
    "david": ("dave", "davey", "davy"),
    "deborah": ("deb", "debbie", "debby"),
    "donald": ("don", "donnie"),
    "dorothy": ("dot", "dottie", "dolly"),
    "douglas": ("doug",),
    "edward": ("ed", "eddie", "eddy", "ted", "teddy", "ned"),
    "elizabeth": ("liz", "lizzie", "lizzy", "beth", "betty", "betsy", "bess", "eliza", "libby"),
    "eleanor": ("ellie", "nell", "nellie", "nora"),
    "frances": ("fran", "fanny"),
    "francis": ("frank", "frankie"),
    "frederick": ("freddie", "freddy", "fritz"),
    "gerald": ("gerry", "jerry"),
    "geoffrey": ("geoff", "jeff", "jeffrey"),
    "gregory": ("greg",),
    "harold": ("hal",),
    "henry": ("harry", "hank", "hal"),
    "isabella": ("bella", "izzy"),
    "jacob": ("jake",),
    "james": ("jim", "jimmy", "jamie", "jem"),
    "jennifer": ("jen", "jenny"),
    "john": ("jack", "johnny", "jon"),
    "jonathan": ("jonny",),
    "joseph": ("joe", "joey", "jos"),
    "josephine": ("jo", "josie"),
    "joshua": ("josh",),
    "judith": ("judy",),
    "kenneth": ("ken", "kenny"),
    "lawrence": ("larry", "laurie", "laurence"),
    "leonard": ("len", "lenny", "leo"),
    "margaret": ("maggie", "meg", "peggy", "madge", "marge", "margie", "greta"),
    "matthew": ("matt", "matty"),
    "michael": ("mike", "mikey", "mick", "mickey"),
    "nathaniel": ("nat", "nate", "nathan"),
    "nicholas": ("nick", "nicky", "nico"),
    "patricia": ("pat", "patty", "trish", "tricia"),
    "patrick": ("paddy",),
    "peter": ("pete",),
    "philip": ("phil", "pip", "phillip"),
    "rebecca": ("becky", "becca"),
    "raymond": ("ray",),
    "richard": ("rick", "ricky", "dick", "rich", "richie"),
    "robert": ("rob", "robbie", "bob", "bobby", "bert", "robin"),
    "ronald": ("ron", "ronnie"),
    "samuel": ("sam", "sammy"),
    "stephen": ("steve", "stevie", "steven"),
    "susan": ("sue", "susie", "suzy"),
    "theodore": ("theo",),
    "thomas": ("tom", "tommy", "thom"),
    "timothy": ("tim", "timmy"),
    "victoria": ("vicky", "vickie", "tori"),
    "vincent": ("vince", "vinny"),
    "walter": ("walt", "wally"),
    "william": ("will", "willie", "willy", "bill", "billy", "liam", "wills"),
    # Italian
    "antonio": ("toni", "totonno", "nuccio"),
    "calogero": ("lillo", "gero"),
    "domenico": ("mimmo", "mimi", "memmo"),
    "filippo": ("pippo",),
    "francesco": ("franco", "ciccio", "checco", "cecco"),
    "francesca": ("franca", "checca"),
    "gaetano": ("tano",),
    "giovanni": ("gianni", "nanni", "vanni"),
    "giuseppe": ("peppe", "peppino", "beppe", "pino", "geppetto"),
    "giuseppina": ("pina", "peppina"),
    "luigi": ("gino", "gigi"),
    "maria": ("mariuccia",),
    "rosario": ("saro", "sarino"),
    "salvatore": ("toto", "turi", "salvo", "toturi"),
    "tommaso": ("maso", "masino"),
    "vincenzo": ("enzo", "vincenzino"),
}

#: nickname -> canonical given name
NICKNAMES: dict[str, str] = {
    nick: canonical for canonical, nicks in _GROUPS.items() for nick in nicks if nick != canonical
}

#: honorifics, titles of nobility, generational suffixes and ordinals: dropped from names
TITLES: tuple[str, ...] = (
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "lord", "lady", "rev",
    "sig", "sigra", "dott", "dssa", "avv", "ing", "baron", "baroness", "count", "countess",
    "duke", "duchess", "earl", "marquess", "marquis", "viscount", "king", "queen", "prince",
    "princess", "saint", "jr", "sr", "junior", "senior", "ii", "iii", "iv",
)  # fmt: skip

#: connecting words kept in surnames ("di maria") but ignored when name tokens are compared
PARTICLES: tuple[str, ...] = (
    "of", "the", "and", "de", "di", "da", "del", "della", "dei", "van", "von", "la", "le", "lo",
)  # fmt: skip
