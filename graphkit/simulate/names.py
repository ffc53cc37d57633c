"""Name, street and alias vocabularies of the simulated population (written for graphkit)."""

from __future__ import annotations

__all__ = [
    "BANKS",
    "EMAIL_DOMAINS",
    "FIRST_FEMALE",
    "FIRST_MALE",
    "LAST_NAMES",
    "NICKNAMES",
    "STREET_ALIASES",
    "STREET_ALIAS_WORDS",
    "STREET_NAMES",
    "STREET_TYPES",
    "TOWN",
    "TRANSLITERATIONS",
]


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_MALE: tuple[str, ...] = _words(
    """
    James John Robert Michael William David Richard Joseph Thomas Charles Christopher Daniel
    Matthew Anthony Mark Steven Paul Andrew Joshua Kenneth Kevin Brian George Timothy Ronald
    Edward Jason Jeffrey Ryan Jacob Gary Nicholas Eric Jonathan Stephen Peter Samuel Benjamin
    Patrick Alexander Frank Raymond Gregory Oliver Harry Jack Charlie Leo Alfie Henry Callum
    Connor Liam Sean Declan Mohammed Ahmed Ali Omar Yusuf Hassan Ibrahim Tariq Imran Bilal
    Kwame Chidi Emeka Tunde Aleksandr Dmitri Sergei Piotr Tomasz Marek Andrei Luca Marco
    Giovanni Salvatore Antonio Jose Carlos Miguel Rajesh Sanjay Arjun Wei
    """
)
FIRST_FEMALE: tuple[str, ...] = _words(
    """
    Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Nancy Lisa
    Margaret Sandra Ashley Kimberly Emily Donna Michelle Carol Amanda Melissa Deborah
    Stephanie Rebecca Laura Helen Sharon Katherine Amy Angela Rachel Catherine Emma Olivia
    Amelia Isla Ava Sophie Grace Chloe Lucy Ellie Hannah Victoria Abigail Charlotte Siobhan
    Niamh Aoife Fatima Aisha Zainab Maryam Amina Yasmin Nadia Ngozi Chioma Abena Olga Natalia
    Tatiana Katarzyna Agnieszka Elena Giulia Francesca Maria Lucia Carmen Priya Anjali Sunita
    Mei Zoe Rose Jane Anne
    """
)
LAST_NAMES: tuple[str, ...] = _words(
    """
    Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson
    Thompson Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson
    Wood Turner Martin Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison Morgan
    Allen James Scott Phillips Watson Davis Parker Price Bennett Young Griffiths Mitchell
    Kelly Cook Carter Richardson Bailey Collins Bell Shaw Murphy Miller Cox Richards Khan
    Marshall Anderson Simpson Ellis Adams Singh Begum Wilkinson Foster Chapman Powell Webb
    Rogers Gray Mason Ali Hunt Hussain Campbell Matthews Owen Palmer Holmes Mills Barnes
    Knight Lloyd Butler Russell Barker Fisher Stevens Jenkins Dixon Fletcher Howard Gibson
    Ellison O'Brien O'Neill McDonald MacLeod Doherty Quinn Byrne Kowalski Nowak Wisniewski
    Ivanov Petrov Popescu Rossi Russo Esposito Bianchi Romano Garcia Fernandez Lopez Okafor
    Okonkwo Adeyemi Mensah Asante Ahmed Rahman Chowdhury Iqbal Malik Sharma Gupta Chen Wang
    Nguyen Kaur Costa Silva Schmidt Muller Novak Horvat
    """
)
STREET_NAMES: tuple[str, ...] = _words(
    """
    Acacia Albert Alexandra Ash Beech Birch Bridge Brook Castle Cedar Chapel Charles Church
    Clarence Cross Elm Exchange Ferry George Grange Green Grove Hall Harbour High Highfield
    Hill Holly Kings Lime Manor Maple Market Mill Moor New North Oak Orchard Park Princess
    Queens Railway Regent Rose School Spring Springfield Station Stanley Victoria Water
    Wellington West Willow Windsor York Cheetham Deansgate Oldham
    """
)
STREET_TYPES: tuple[str, ...] = _words(
    """
    Road Street Lane Avenue Close Drive Way Crescent Place Terrace
    """
)
STREET_ALIAS_WORDS: tuple[str, ...] = _words(
    """
    Tiny Big Shadow Smokey Ghost Fox Snake Duke Ace Bullet Scar Lucky Doc Chief Red Blue
    Spider Ice Flash Mouse
    """
)
EMAIL_DOMAINS: tuple[str, ...] = _words(
    """
    gmail.com hotmail.co.uk outlook.com yahoo.co.uk icloud.com protonmail.com
    """
)
NICKNAMES: dict[str, tuple[str, ...]] = {
    key: tuple(value.split(","))
    for key, value in (
        item.split(":")
        for item in _words(
            """
            James:Jim,Jimmy,Jamie John:Johnny,Jack Robert:Bob,Rob,Bobby Michael:Mike,Mick,Micky
            William:Bill,Will,Billy David:Dave,Davy Richard:Rick,Dick,Richie Joseph:Joe,Joey
            Thomas:Tom,Tommy Charles:Charlie,Chas Christopher:Chris Daniel:Dan,Danny Matthew:Matt
            Anthony:Tony,Ant Steven:Steve Andrew:Andy,Drew Joshua:Josh Kenneth:Ken,Kenny Timothy:Tim
            Ronald:Ron,Ronnie Edward:Ed,Eddie,Ted Jeffrey:Jeff Nicholas:Nick,Nicky Jonathan:Jon
            Stephen:Steve Peter:Pete Samuel:Sam Benjamin:Ben Patrick:Paddy,Pat Alexander:Alex,Sandy
            Frank:Frankie Raymond:Ray Gregory:Greg Oliver:Ollie Harry:Hal Henry:Harry,Hank
            Salvatore:Totò,Sal Giovanni:Gianni Antonio:Toni Jose:Pepe Aleksandr:Sasha Dmitri:Dima
            Sergei:Seryozha Mary:Molly,Mae Patricia:Pat,Trish Jennifer:Jen,Jenny
            Elizabeth:Liz,Beth,Lizzie Barbara:Barb Susan:Sue,Susie Jessica:Jess
            Margaret:Maggie,Peggy,Meg Sandra:Sandy Kimberly:Kim Deborah:Debbie,Deb Stephanie:Steph
            Rebecca:Becky,Becca Katherine:Kate,Kathy,Katie Catherine:Cathy,Kate Victoria:Vicky,Tori
            Abigail:Abby Charlotte:Lottie,Charlie Natalia:Natasha Olga:Olya
            """
        )
    )
}
TRANSLITERATIONS: tuple[tuple[str, ...], ...] = tuple(
    tuple(item.split(","))
    for item in _words(
        """
        Mohammed,Muhammad,Mohamed,Mohammad Ahmed,Ahmad Yusuf,Youssef,Yousef Hassan,Hasan
        Aisha,Ayesha Fatima,Fatimah Aleksandr,Alexandr,Oleksandr Dmitri,Dmitry,Dmitriy
        Sergei,Sergey Tatiana,Tatyana Natalia,Natalya Ivanov,Iwanow Petrov,Petroff
        Chowdhury,Choudhury,Chaudhry Hussain,Husain,Hussein Rahman,Rehman Jose,José
        Muller,Müller,Mueller Zoe,Zoë Fernandez,Fernández Lopez,López Nowak,Novak Wei,Wai Mei,May
        """
    )
)
STREET_ALIASES: dict[str, str] = dict(
    zip(STREET_TYPES, _words("Rd St Ln Ave Cl Dr Wy Cres Pl Terr"), strict=True)
)
TOWN = "Manchester"
BANKS: tuple[tuple[str, str], ...] = (
    ("NWBK", "NatWest"),
    ("BARC", "Barclays"),
    ("HBUK", "HSBC UK"),
    ("LOYD", "Lloyds Bank"),
    ("ABBY", "Santander UK"),
    ("MONZ", "Monzo"),
    ("SRLG", "Starling Bank"),
)
