"""Slovenian phrases for reading a follow-up answer (patterns on folded text; see the package
docstring).

Folding drops the carons, so "še" is "se" and "še ni prispelo" is "se ni prispelo". "Dela"
is also a noun ("veliko dela"), so it counts as "works" only after a subject or before an
adverb; "deluje" counts anywhere.
"""

LANGUAGE = "sl"

YES = [
    r"^(da|ja|seveda|vsekakor|tako je|drzi|res je)\b(?! li\b)",
]

NO = [
    r"^(ne|se ne|nikakor|zal ne|na zalost ne|zal|na zalost|se ni)\b(?!-)",
]

POSITIVE = [
    r"\bdeluje(ta|jo)?\b",
    r"\b(vse|zdaj|sedaj|spet|ze|koncno|naprava|aparat|izdelek) (\w+ )?(dela|delajo)\b",
    r"\bdela (brezhibno|odlicno|normalno|kot mora|kot je treba|brez tezav|super|dobro)\b",
    r"\bvse (je )?(v redu|ok|okej|super|kot mora biti|urejeno|reseno|v najlepsem redu|odlicno|prislo|prispelo)\b",
    r"\b(problem|tezava|napaka|okvara) (je )?(resen\w*|odpravljen\w*|izginil\w*)\b",
    r"\b(prispel[aoi]?|prisl[aoi]|prisel|sem prejel[a]?|smo prejeli|sem dobil[a]?|smo dobili)\b",
    r"\bv redu\b",
    r"\b(ni|nimam|nimamo) (vec )?(nobenih |nikakrsnih )?(tezav|problemov)\b",
    r"\bvse (je )?stima\b",
    r"\b(lahko se|se lahko) (spet |znova |normalno )?prijavim\b",
    r"\bdenar (je )?(ze )?(na (mojem |bancnem |transakcijskem )?racunu|prispel|nakazan)\b",
]

NEGATIVE = [
    r"\b(ne|vec ne|se vedno ne|spet ne|sploh ne|nic ne|se ne|ponovno ne) (\w+ )?(deluje(ta|jo)?|dela|delajo|funkcionira|prizge|vklopi)\b",
    r"\b(ni|se ni|se vedno ni|nic ni|sploh ni|nikoli ni)( se| vedno)? (prispel[aoi]?|prisl[aoi]|prisel|dostavljen[aoi]?|resen[aoi]?|odpravljen[aoi]?|v redu|popravljen[aoi]?|urejen[aoi]?)\b",
    r"\b(nisem|nismo)( se| vedno| se vedno)? (prejel[ai]?|dobil[ai]?)\b",
    r"\b(se vedno|spet|ponovno|je) (\w+ )?(pokvarjen\w*|okvarjen\w*|poskodovan\w*|pusca|zlomljen\w*)\b",
    r"\b(ist[aio]) (problem|tezava|napaka|okvara)\b",
    r"\bse (vedno )?(cakam|cakamo)\b",
    r"\b(deluje|dela) (slabo|s prekinitvami|le obcasno|samo obcasno)\b",
    r"\b(se )?ne (morem|moremo) (se )?(prijaviti|vpisati)\b",
    r"\bdenarja (se )?(ni|ni se|se vedno ni)\b",
]

SATISFIED = [
    r"\b(zelo |povsem |popolnoma )?zadovolj(en|na|ni|ne|no)\b",
    r"\b(odlicno|super|krasno|popolno|fantasticno|vrhunsko|cudovito)\b",
    r"\b(odlicna|hitra|super) (storitev|resitev|podpora|pomoc)\b",
]

DISSATISFIED = [
    r"\b(nisem|nismo|ni|nikakor|sploh|ne)( \w+){0,2}? (zadovolj(en|na|ni|ne|no)|super|odlicno)\b",
    r"\bnezadovolj\w*",
    r"\b(razocaran\w*|jezen|jezna|jezni|grozno|katastrofa|katastrofalno|sramota|nesprejemljiv\w*)\b",
]

OPT_OUT = [
    r"^(prosim,? )?stop(,? prosim)?[.!]*$",
    r"\bne (pisite|posiljajte|posiljaj|kontaktirajte|pisi|klicite) (mi|nam|me|nas)\b",
    r"^odjava[.!]*$",
    r"\b(odjavite|izbrisite|odstranite) me\b",
    r"\bnehajte (mi )?(pisati|posiljati|posiljat)\b",
    r"\bzelim se odjaviti\b",
]

RATING_CUES = [
    r"\b(ocena|oceno|oceni)\b[ :=-]*(je |bi bila |moja |moja je )*{n}{end}",
    r"\b(dam|dajem|bi dal|bi dala|dal bi|dala bi)( vam| ti)?( oceno)?:? {n}{end}",
    r"\b(ocenjujem|ocenil bi|ocenila bi|bi ocenil|bi ocenila)( vas| to| storitev| resitev)?( z| s| na)? {n}{end}",
    r"{n} od {of}( zvezdic\w*| tock\w*)?{end}",
    r"{n} (zvezdic\w*)\b",
]

# School grades run from 1 to 5 ("petica" is the best), so they read as ratings.
NUMBER_WORDS = {
    "ena": 1, "dve": 2, "dva": 2, "tri": 3, "stiri": 4, "pet": 5, "deset": 10,
    "dvojka": 2, "dvojko": 2, "trojka": 3, "trojko": 3, "stirica": 4, "stirico": 4,
    "petica": 5, "petico": 5,
}  # fmt: skip

CONNECTIVES = [
    r"\bampak\b",
    r"\bvendar\b",
    r"\btoda\b",
    r"\bker\b",
    r"\bceprav\b",
]

ABBREVIATIONS = [
    "jan", "feb", "mar", "apr", "jun", "jul", "avg", "sep", "okt", "nov", "dec",
    "st", "tel", "ul",
]  # fmt: skip

EXAMPLES: dict[str, list[str]] = {
    "YES": ["Da.", "Ja, hvala.", "Seveda!"],
    "NO": ["Ne.", "Še ne.", "Žal ne."],
    "POSITIVE": [
        "Da, vse deluje.",
        "Zdaj spet dela.",
        "Dela brezhibno.",
        "Vse je v redu, hvala.",
        "Težava je odpravljena.",
        "Paket je prispel včeraj.",
        "V redu.",
        "Nimam več težav.",
        "Vse štima.",
        "Spet se lahko prijavim.",
        "Denar je že na računu.",
    ],
    "NEGATIVE": [
        "Ne deluje.",
        "Še ni prispelo.",
        "Nisem še prejel paketa.",
        "Še vedno je pokvarjen.",
        "Ista težava kot prej.",
        "Še vedno čakam.",
        "Deluje slabo.",
        "Še vedno se ne morem prijaviti.",
        "Denarja še ni.",
    ],
    "SATISFIED": ["Zelo zadovoljen.", "Odlično, hvala!", "Odlična rešitev."],
    "DISSATISFIED": [
        "Nisem zadovoljna.",
        "Nezadovoljen sem.",
        "Razočaran sem.",
    ],
    "OPT_OUT": [
        "Stop.",
        "Ne pišite mi več.",
        "Odjava",
        "Odjavite me, prosim.",
        "Nehajte mi pisati.",
        "Želim se odjaviti.",
    ],
    "RATING_CUES": [
        "Ocena: 4",
        "Dam 5.",
        "Ocenjujem z 4.",
        "4 od 5",
        "5 zvezdic!",
    ],
    "NUMBER_WORDS": [
        "Ena.",
        "Dve",
        "Dva",
        "Tri",
        "Štiri!",
        "Pet.",
        "Deset od deset.",
        "Dvojka",
        "Dam dvojko.",
        "Trojka",
        "Dam trojko.",
        "Štirica",
        "Dam štirico.",
        "Petica!",
        "Dam petico.",
    ],
    "CONNECTIVES": [
        "Prispelo je, ampak ne deluje.",
        "Deluje, vendar glasno.",
        "Toda ne deluje.",
        "Nisem zadovoljna, ker je trajalo predolgo.",
        "Deluje, čeprav je kasnilo.",
    ],
}
