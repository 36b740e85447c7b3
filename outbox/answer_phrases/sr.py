"""Serbian phrases for reading a follow-up answer (patterns on folded text; see the package
docstring).

Written once in Latin script without diacritics: Cyrillic is transliterated before matching,
so "Не ради" and "ne radi" meet the same pattern, and "đ" folds to "d" ("međutim" is
"medutim"). Ekavian and ijekavian forms are both listed, which also covers most Croatian and
Bosnian answers. "Radi" is also a preposition ("radi reklamacije"), so on its own it counts
only before the end of the sentence or after a subject.
"""

LANGUAGE = "sr"

YES = [
    r"^(da|jeste|jesam|jesmo|naravno|svakako|jasno|tako je)\b(?! li\b)",
]

# "Ne-" is Romanian ("ne-a ajuns", it reached us); "nije loše" is "not bad".
NO = [
    r"^(ne|nije|nisam|nismo|jos ne|jos nije|nikako|nazalost ne|na zalost ne|nazalost|na zalost)\b(?!-| brinite\b| brini\b| lose\b| problem)",
]

_WORKS = r"(radi|rade|funkcionise|funkcionisu|funkcionira|funkcioniraju)"

POSITIVE = [
    rf"\b(sve|sada|sad|konacno|opet|ponovo|i dalje|sve sada|sve sad|sada sve|sad sve|uredaj|uredjaj|aparat|proizvod|nalog|sajt|aplikacija) (\w+ )?{_WORKS}\b(?! se\b)",
    rf"\b{_WORKS}( (dobro|odlicno|normalno|kako treba|bez problema|savrseno|super|besprekorno|ispravno|sada|sad|opet|ponovo))?(?=[ ]?(?:$|[^\w\s])|[ ](i|a|ali|jer|hvala)\b)",
    r"\bproradi(o|la|lo|li)\b",
    r"\bsve (je )?(u redu|ok|okej|super|kako treba|u najboljem redu|sredeno|sredjeno|reseno|rijeseno|stiglo|savrseno|odlicno|perfektno)\b",
    r"\b(problem|kvar|greska) (je )?(resen|rijesen|otklonjen|nestao|sredjen|sreden|popravljen)\b",
    r"\b(stigla|stiglo|stigli|stigle|stigao|dosla|doslo|dosao|dobio sam|dobila sam|dobili smo|primio sam|primila sam|primili smo|preuzeo sam|preuzela sam|legao|legla|leglo)\b",
    r"\bu redu\b",
    r"\bnema (vise |nikakvih )?(problema|gresaka|kvara)\b",
    r"\bsve (je )?stima\b",
    r"\bmogu (ponovo |opet |normalno )?(da se )?(ulogujem|prijavim|ulogovati|prijaviti|pristupim)\b",
]

NEGATIVE = [
    rf"\b(ne|vise ne|i dalje ne|jos uvek ne|jos uvijek ne|opet ne|ni sada ne|ni sad ne|nikako ne|uopste ne|uopce ne|jos ne) (\w+ )?({_WORKS}|pali|ukljucuje se)\b",
    r"\b(nije|nisu|jos nije|jos nisu|jos uvek nije|jos uvijek nije|i dalje nije|nista nije|jos nista nije|nikad nije)( jos| ni| uopste| uopce)? (stigl[aoie]|stigao|dosl[aoie]|dosao|isporucen\w*|resen\w*|rijesen\w*|popravljen\w*|otklonjen\w*|sredjen\w*|sreden\w*|u redu|ok|dobro|legao|legl[aoi])\b",
    r"\b(nisam|nismo)( jos| nista| ni)? (dobio|dobila|dobili|primio|primila|primili|preuzeo|preuzela)\b",
    r"\b(i dalje|jos uvek|jos uvijek|opet|ponovo|stiglo je|stigao je|stigla je|je) (\w+ )?(pokvaren\w*|ostecen\w*|neispravan|neispravn\w*|polomljen\w*|slomljen\w*|curi)\b",
    r"\b(isti|ista|isto) (problem|kvar|greska|stanje)\b",
    r"\b(i dalje|jos uvek|jos uvijek|jos) (cekam|cekamo)\b",
    rf"\b{_WORKS} (lose|losije|s prekidima|povremeno)\b",
    r"\b(ne mogu|i dalje ne mogu|jos uvek ne mogu|jos uvijek ne mogu) (da se )?(ulogujem|prijavim|ulogovati|prijaviti|pristupim)\b",
]

SATISFIED = [
    r"\b(pre)?zadovolj(an|na|ni|ne|no)\b",
    r"\b(odlicno|sjajno|savrseno|fenomenalno|perfektno|fantasticno|bravo|svaka cast)\b",
    r"^super\b",
    r"\b(odlicna|sjajna|brza|super) (usluga|resenje|rjesenje|podrska)\b",
]

DISSATISFIED = [
    r"\b(nisam|nismo|nije|nisu|nimalo|ne bas|ni malo)( \w+){0,2}? (zadovolj(an|na|ni|ne|no)|odlicno|super|sjajno|dobro)\b",
    r"\bnezadovolj\w*",
    r"\b(razocaran\w*|ljut|ljuta|ljuti|besan|besna|bijesan|bijesna|uzasn\w*|katastrof\w*|sramota|uzas|ocajn\w*|neprihvatljiv\w*)\b",
]

OPT_OUT = [
    r"^(molim vas,? )?stop(,? molim vas)?[.!]*$",
    r"\bne (pisite|saljite|salji|pisi|kontaktirajte|zovite|uznemiravajte) (mi|nam|me|nas)\b",
    r"\bnemojte (mi |me |nam |nas )?(vise )?(pisati|slati|kontaktirati|zvati|uznemiravati)\b",
    r"\b(odjavi|odjavite|izbrisi|izbrisite|uklonite|skinite) me\b",
    r"\b(prestanite|prestani) (da )?(mi )?(pisete|pises|saljete|saljes|slati|pisati|kontaktirati|me kontaktirate)\b",
    r"\b(zelim|hocu) da se odjavim\b",
]

RATING_CUES = [
    r"\b(ocena|ocjena|ocenu|ocjenu|ocenom|ocjenom)\b[ :=-]*(je |bi bila |mi je |vam je |od mene )*{n}{end}",
    r"\b(dajem|dao bih|dala bih|dacu|dajemo|dali bismo|dam|dobijate|zasluzujete|zasluzili ste|zasluzuje)( vam| vama| ti| tome| ovome| cistu| jednu)*( ocenu| ocjenu)?:? {n}{end}",
    r"\b(ocenjujem|ocjenjujem|ocenio bih|ocijenio bih|ocenila bih|ocijenila bih)( vas| to| ovo| uslugu| resenje| rjesenje)?( sa| s| na)? {n}{end}",
    r"{n} od {of}( zvezdic\w*| zvjezdic\w*| bodova| poena| mogucih)?{end}",
    r"{n} (zvezdic\w*|zvjezdic\w*)\b",
    r"\b(cista|cisto|cist) {n}{end}",
]

# School grades run from 1 to 5 ("petica" is the best), so they read as ratings.
NUMBER_WORDS = {
    "jedan": 1, "jedna": 1, "jedno": 1, "dva": 2, "dve": 2, "dvije": 2, "tri": 3,
    "cetiri": 4, "pet": 5, "deset": 10,
    "jedinica": 1, "jedinicu": 1, "dvojka": 2, "dvojku": 2, "trojka": 3, "trojku": 3,
    "cetvorka": 4, "cetvorku": 4, "petica": 5, "peticu": 5,
}  # fmt: skip

CONNECTIVES = [
    r"\bali\b",
    r"\bmedutim\b",
    r"\bipak\b",
    r"\bjer\b",
    r"\b(mada|iako)\b",
    r"\bsamo sto\b",
    r"\bosim (sto|toga)\b",
]

ABBREVIATIONS = [
    "jan", "feb", "mar", "apr", "jun", "jul", "avg", "aug", "sep", "okt", "nov", "dec",
    "br", "tel", "ul", "god",
]  # fmt: skip

EXAMPLES: dict[str, list[str]] = {
    "YES": ["Da.", "Jeste, stiglo je.", "Naravno!", "Да, хвала."],
    "NO": ["Ne.", "Nije.", "Još ne.", "Нажалост не."],
    "POSITIVE": [
        "Da, sve radi.",
        "Sada sve funkcioniše kako treba.",
        "Radi odlično!",
        "Proradio je posle zamene.",
        "Sve je u redu, hvala.",
        "Problem je rešen.",
        "Zamena je stigla juče.",
        "Novac je legao na račun.",
        "Све је у реду.",
        "U redu je.",
        "Nema više problema.",
        "Sve štima.",
        "Mogu ponovo da se prijavim.",
    ],
    "NEGATIVE": [
        "Не ради, и даље.",
        "I dalje ne radi.",
        "Još nije stiglo.",
        "Paket još uvek nije stigao.",
        "Nisam dobila novi aparat.",
        "Stiglo je oštećeno.",
        "Isti problem kao pre.",
        "I dalje čekam.",
        "Radi loše, s prekidima.",
        "I dalje ne mogu da se prijavim.",
    ],
    "SATISFIED": [
        "Veoma sam zadovoljan.",
        "Zadovoljna sam, hvala.",
        "Odlično, hvala!",
        "Super, sve stiglo.",
        "Odlična usluga!",
    ],
    "DISSATISFIED": [
        "Nisam zadovoljan.",
        "Нисам баш задовољна.",
        "Nezadovoljan sam rešenjem.",
        "Razočarana sam.",
    ],
    "OPT_OUT": [
        "Stop",
        "СТОП",
        "Ne pišite mi više.",
        "Nemojte mi više slati poruke.",
        "Odjavi me.",
        "Prestanite da mi šaljete poruke.",
        "Želim da se odjavim.",
    ],
    "RATING_CUES": [
        "Ocena 5",
        "Оцена: 4",
        "Ocjena 3.",
        "Dajem vam peticu!",
        "Ocenjujem sa 4.",
        "4 od 5",
        "5 zvezdica!",
        "Čista petica.",
    ],
    "NUMBER_WORDS": [
        "Jedan.",
        "Jedna",
        "Jedno",
        "Dva",
        "Dve",
        "Dvije",
        "Tri",
        "Četiri.",
        "Pet!",
        "Deset od deset!",
        "Jedinica.",
        "Dajem jedinicu.",
        "Dvojka",
        "Dajem dvojku.",
        "Trojka",
        "Dao bih trojku.",
        "Četvorka",
        "Dajem četvorku.",
        "Petica!",
        "Dajem peticu.",
    ],
    "CONNECTIVES": [
        "Stiglo je, ali ne radi.",
        "Radi, međutim kasnilo je.",
        "Ipak ne radi.",
        "Nisam zadovoljna jer je kasnilo.",
        "Radi, mada glasno.",
        "Radi, samo što je malo glasan.",
        "Sve je u redu, osim toga što kasni.",
    ],
}
