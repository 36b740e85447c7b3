"""Romanian phrases for reading a follow-up answer (patterns on folded text; see the package
docstring).

Folding drops the diacritics with either comma or cedilla ("funcționează", "funcţionează":
"functioneaza"). "Nu-mi mai scrieți" keeps its hyphen, which is why the bare "nu" stops
before one. School grades run from 1 to 10, so "nota 8" without a scale is left unread.
"""

LANGUAGE = "ro"

YES = [
    r"^(da|desigur|sigur|bineinteles|normal|exact|evident|fireste|corect)\b(?! li\b)",
]

# "Nu e nicio problemă" (no problem) and "nu am nicio plângere" (no complaint) are not a no.
NO = [
    r"^(nu|inca nu|nu inca|nici vorba|deloc|din pacate nu|din pacate|nici acum)\b(?!-| (e|este) (nicio|nici o) problema| am (nicio|nici o) (problema|plangere|reclamatie))",
]

POSITIVE = [
    r"\bfunctioneaza\b",
    r"\bmerge( bine| perfect| acum| din nou| foarte bine| excelent| impecabil)\b",
    r"\btotul (\w+ )?merge\b",
    r"\b(totul|acum totul|totul acum)( este| e)? (in regula|ok|bine|perfect|rezolvat|in ordine|excelent)\b",
    r"\b(problema|defectul|situatia) (a fost |este |e |s-a )?(rezolvat[a]?|remediat[a]?|disparut)\b",
    r"\b(s-a rezolvat|e rezolvat[a]?|este rezolvat[a]?)\b",
    r"\b(a ajuns|au ajuns|a sosit|au sosit|am primit|l-am primit|am primit-o|a fost livrat[a]?|a venit)\b",
    r"\bin regula\b",
    r"\bnu (mai )?(am|avem) (nicio|nici o) problema\b",
    r"\b(ma pot|ne putem) (din nou |iar )?(conecta|loga|autentifica)\b",
    r"\b(banii|suma|rambursarea) (au |a )?(intrat|ajuns|sosit|venit)\b",
]

NEGATIVE = [
    r"\b(nu|tot nu|inca nu|nici acum nu|iar nu|nu mai|tot nu mai)( \w+)? (functioneaza|merge|porneste|se porneste)\b",
    r"\b(nu|tot nu|inca nu|nici acum nu|inca tot nu)( mi-a| ne-a| a| au| am| l-am| le-am)( \w+)? (ajuns|sosit|primit|venit|fost livrat[a]?|fost rezolvat[a]?)\b",
    r"\b(tot|inca|iar|din nou|a ajuns|a sosit|este|e) (\w+ )?(stricat[a]?|defect[a]?|deteriorat[a]?|spart[a]?)\b",
    r"\b(aceeasi problema|acelasi defect|aceeasi defectiune)\b",
    r"\bnu (e|este) (in regula|rezolvat[a]?|ok)\b",
    r"\bnu (s-a|a fost) rezolvat[a]?\b",
    r"\b(inca|tot) (astept|asteptam)\b",
    r"\b(functioneaza|merge) (prost|cu intreruperi|doar uneori)\b",
    r"\b(nu|tot nu|inca nu) (ma|ne) (pot|putem) (conecta|loga|autentifica)\b",
    r"\b(banii|suma|rambursarea) (tot |inca )?nu (au |a )?(intrat|ajuns|sosit|venit)\b",
]

SATISFIED = [
    r"\b(multumit[a]?|multumiti|multumite|satisfacut[a]?|satisfacuti|incantat[a]?)\b",
    r"\b(excelent|perfect|super|minunat|grozav|nemaipomenit)\b",
]

DISSATISFIED = [
    r"\b(nu|nu prea|deloc|nu foarte)( \w+){0,2}? (multumit[a]?|multumiti|multumite|satisfacut[a]?|satisfacuti)\b",
    r"\bnemultumit\w*",
    r"\b(dezamagit\w*|suparat\w*|furios|furioasa|inacceptabil\w*|groaznic\w*|oribil\w*|rusine|dezastru\w*|jalnic\w*)\b",
]

OPT_OUT = [
    r"^(va rog,? )?stop(,? va rog)?[.!]*$",
    r"\bdezabon\w*",
    r"\bnu(-mi|-ne| imi| ne| ma)? mai (scrieti|trimiteti|contactati|scrie|trimite)\b",
    r"\b(stergeti-ma|scoateti-ma|ma stergeti|ma scoateti)\b",
    r"\bnu (mai )?(vreau|doresc) sa (mai )?(primesc|fiu contactat\w*)\b",
]

RATING_CUES = [
    r"\b(nota|notez|notam|calificativ|calificativul|scor|scorul|punctaj|punctajul)\b[ :=-]*(este |e |ar fi |mea |mea este |de |cu |finala )*{n}{end}",
    r"\b(dau|as da|v-as da|va dau|ii dau|acord|as acorda|va acord)( nota| un| o| calificativul)? {n}{end}",
    r"{n} (din|dintr-un maxim de) {of}( stele| puncte)?{end}",
    r"{n} (stele|stea|stelute)\b",
]

NUMBER_WORDS = {
    "unu": 1, "una": 1, "doi": 2, "doua": 2, "trei": 3, "patru": 4, "cinci": 5, "zece": 10,
}  # fmt: skip

CONNECTIVES = [
    r"\bdar\b",
    r"\binsa\b",
    r"\btotusi\b",
    r"\b(deoarece|fiindca|pentru ca)\b",
    r"\b(doar|numai) ca\b",
    r"\bcu toate (ca|acestea)\b",
]

ABBREVIATIONS = [
    "ian", "feb", "mar", "apr", "iun", "iul", "aug", "sep", "sept", "oct", "noi", "dec",
    "nr", "tel", "str", "pt",
]  # fmt: skip

EXAMPLES: dict[str, list[str]] = {
    "YES": ["Da.", "Desigur!", "Bineînțeles, mulțumesc."],
    "NO": ["Nu.", "Încă nu.", "Din păcate nu."],
    "POSITIVE": [
        "Da, totul funcționează.",
        "Merge bine acum.",
        "Totul merge.",
        "Totul este în regulă.",
        "Problema a fost rezolvată.",
        "S-a rezolvat, mulțumesc.",
        "Coletul a ajuns ieri.",
        "E în regulă.",
        "Nu mai am nicio problemă.",
        "Mă pot conecta din nou.",
        "Banii au intrat în cont.",
    ],
    "NEGATIVE": [
        "Nu funcționează.",
        "Tot nu a ajuns.",
        "A ajuns stricat.",
        "Aceeași problemă ca înainte.",
        "Nu este în regulă.",
        "Nu s-a rezolvat.",
        "Încă aștept.",
        "Funcționează prost.",
        "Tot nu mă pot conecta.",
        "Banii încă nu au intrat.",
    ],
    "SATISFIED": ["Sunt foarte mulțumită.", "Excelent, mulțumesc!"],
    "DISSATISFIED": [
        "Nu sunt mulțumit.",
        "Sunt nemulțumită.",
        "Sunt dezamăgit.",
    ],
    "OPT_OUT": [
        "STOP",
        "Dezabonare",
        "Nu-mi mai scrieți.",
        "Ștergeți-mă din listă.",
        "Nu mai vreau să primesc mesaje.",
    ],
    "RATING_CUES": [
        "Nota 4",
        "Dau nota 5.",
        "4 din 5",
        "5 stele!",
    ],
    "NUMBER_WORDS": [
        "Unu.",
        "Una",
        "Doi",
        "Două",
        "Trei",
        "Patru.",
        "Cinci!",
        "Zece din zece!",
    ],
    "CONNECTIVES": [
        "A ajuns, dar nu funcționează.",
        "Funcționează, însă e zgomotos.",
        "Totuși nu merge.",
        "Nu sunt mulțumit, pentru că a durat mult.",
        "Merge bine, doar că e zgomotos.",
        "Cu toate acestea, funcționează.",
    ],
}
