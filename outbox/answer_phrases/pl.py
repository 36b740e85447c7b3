"""Polish phrases for reading a follow-up answer (patterns on folded text; see the package
docstring).

Folding turns "ł" into "l" and drops the other diacritics: "działa" is "dziala", "dotarło"
is "dotarlo", "piątka" is "piatka". "No" opens many Polish answers as "well" ("no tak", "no
działa"): the English pattern for a bare "no" leaves "no tak" alone, and a Polish statement
outweighs a bare answer anyway.
"""

LANGUAGE = "pl"

YES = [
    r"^(tak|tak tak|jasne|oczywiscie|owszem|pewnie|zgadza sie|dokladnie)\b",
    r"^no (tak|dobrze|jasne|pewnie)\b",
]

# "Nie ma problemu" (no problem) and "nie mam zastrzeżeń" (no objections) are not a no.
NO = [
    r"^(nie|niestety nie|jeszcze nie|nadal nie|wciaz nie|wcale nie|ciagle nie|niestety)\b(?! (ma|mam|mamy) (problemu|sprawy|za co|zastrzezen|uwag|zarzutow)\b)",
]

POSITIVE = [
    r"\b(dziala|dzialaja|funkcjonuje|funkcjonuja)\b",
    r"\bwszystko (jest |juz )?(w porzadku|ok|okej|dobrze|gra|super|w najlepszym porzadku|zalatwione|sprawne|sie zgadza)\b",
    r"\b(problem|usterka|blad|sprawa) (zostal |zostala |jest |juz )?(rozwiazan[ya]|usuniet[ya]|naprawion[ya]|zalatwion[ya]|zniknal|zniknela)\b",
    r"\b(dotarl|dotarla|dotarlo|dotarly|doszla|doszlo|doszly|doszedl|przyszla|przyszlo|przyszedl|otrzymal(em|am|ismy)|dostal(em|am|ismy)|odebral(em|am|ismy))\b",
    r"\bw porzadku\b",
    r"\b(nie ma|nie mam|nie mamy) (juz )?(zadnych )?problemow\b",
    r"\b(pieniadze|zwrot|przelew) (juz )?(wrocil\w*|dotarl\w*|doszl\w*|doszedl|przyszl\w*|przyszedl|zaksiegowan\w*|jest na koncie|sa na koncie)",
    r"\bmoge sie (znowu |juz |normalnie )?zalogowac\b",
]

NEGATIVE = [
    r"\b(nie|nadal nie|wciaz nie|dalej nie|juz nie|ciagle nie|znowu nie|nic nie)( \w+){0,2}? (dziala|dzialaja|funkcjonuje|funkcjonuja|wlacza sie)\b",
    r"\b(nie|jeszcze nie|nadal nie|wciaz nie|nic nie|ciagle nie|dalej nie)( \w+)? (dotarl|dotarla|dotarlo|dotarly|doszla|doszlo|doszedl|przyszla|przyszlo|przyszedl|dostal(em|am|ismy)|otrzymal(em|am|ismy)|odebral(em|am|ismy))\b",
    r"\b(nadal|wciaz|dalej|ciagle|znowu|ponownie|przyszla|przyszlo|przyszedl|dotarl|dotarla|dotarlo|jest|sa) (\w+ )?(zepsut\w*|uszkodzon\w*|wadliw\w*|cieknie|przecieka|nieczynn\w*)\b",
    r"\b(ten sam|ta sama|to samo) (problem|blad|usterka|wada)\b",
    r"\bnie (jest |jest juz )?w porzadku\b",
    r"\b(nadal|wciaz|ciagle|dalej) (czekam|czekamy)\b",
    r"\b(dziala|dzialaja) (zle|slabo|gorzej|z przerwami)\b",
    r"\b(i to|w dodatku|do tego) (\w+ )?(zepsut\w*|uszkodzon\w*|wadliw\w*)\b",
    r"\bnie (moge|mozemy) sie (\w+ )?zalogowac\b",
    r"\b(pieniadze|zwrot|przelew) (jeszcze |nadal |wciaz )?nie (wrocil\w*|dotarl\w*|doszl\w*|doszedl|przyszl\w*|przyszedl)",
]

SATISFIED = [
    r"\b(bardzo |w pelni |calkowicie |calkiem )?zadowol(ony|ona|eni|one)\b",
    r"\b(swietnie|super|idealnie|doskonale|rewelacja|rewelacyjnie|znakomicie|bez zarzutu)\b",
    r"\bnie (mam|mamy) (zadnych )?(zastrzezen|uwag|zarzutow)\b",
]

DISSATISFIED = [
    r"\b(nie|niezbyt|nie bardzo|nie do konca)( \w+){0,2}? zadowol(ony|ona|eni|one)\b",
    r"\bniezadowol\w*",
    r"\b(rozczarowan\w*|zawiedzion\w*|zly|zla|wsciekl\w*|skandal\w*|tragedia|tragiczn\w*|beznadziej\w*|porazka|zenujac\w*)\b",
]

OPT_OUT = [
    r"^(prosze,? )?stop(,? prosze)?[.!]*$",
    r"\bprosze (wiecej |juz )?(do mnie )?nie (pisac|wysylac|kontaktowac sie|przesylac)\b",
    r"\bnie (piszcie|pisz|wysylajcie|kontaktujcie sie|przesylajcie)( do mnie| ze mna| wiecej| juz)+\b",
    r"\bwypisz(cie)? mnie\b",
    r"\b(usun|usuncie|prosze usunac) (mnie|moj adres|moj e-?mail)\b",
    r"\bprosze o (wypisanie|usuniecie)\b",
    r"\brezygnuje z (subskrypcji|newslettera|wiadomosci|kontaktu|powiadomien)\b",
]

RATING_CUES = [
    r"\b(ocena|ocene|oceny)\b[ :=-]*(to |moja |jest |bylaby |na )*{n}{end}",
    r"\b(oceniam|ocenilbym|ocenilabym|oceniamy)( to| was| panstwa| usluge| rozwiazanie)?( na)? {n}{end}",
    r"\b(daje|dalbym|dalabym|dam|wystawiam|wystawilbym|wystawilabym|dajemy)( panstwu| wam| ocene| mocna| solidna)*:? {n}{end}",
    r"{n} (na|z|w skali do) {of}( gwiazdek| gwiazdki| punktow| pkt)?{end}",
    r"{n} (gwiazd\w*)\b",
    r"\bna (mocna|solidna|cala|pelna) {n}{end}",
]

# School grades run from 1 to 6; a "piątka" (5) answering a 1-to-5 question is the top mark,
# but a "szóstka" (6) is off the scale and left out.
NUMBER_WORDS = {
    "jeden": 1, "jedna": 1, "jedno": 1, "dwa": 2, "dwie": 2, "trzy": 3, "cztery": 4,
    "piec": 5, "dziesiec": 10,
    "jedynka": 1, "jedynke": 1, "dwojka": 2, "dwojke": 2, "trojka": 3, "trojke": 3,
    "czworka": 4, "czworke": 4, "piatka": 5, "piatke": 5,
}  # fmt: skip

CONNECTIVES = [
    r"\bale\b",
    r"\bjednak\b",
    r"\blecz\b",
    r"\b(chociaz|choc)\b",
    r"\b(bo|poniewaz)\b",
    r"\btylko ze\b",
    r"\bnatomiast\b",
]

ABBREVIATIONS = [
    "sty", "lut", "mar", "kwi", "maj", "cze", "lip", "sie", "wrz", "paz", "lis", "gru",
    "nr", "tel", "ul", "godz",
]  # fmt: skip

EXAMPLES: dict[str, list[str]] = {
    "YES": ["Tak.", "No tak, dotarło.", "Oczywiście!", "No dobrze."],
    "NO": ["Nie.", "Niestety nie.", "Nadal nie.", "Jeszcze nie."],
    "POSITIVE": [
        "Tak, działa.",
        "Wszystko jest w porządku.",
        "Problem został rozwiązany.",
        "Paczka dotarła wczoraj.",
        "W porządku, dziękuję.",
        "Nie mam już żadnych problemów.",
        "Pieniądze już wróciły.",
        "Mogę się znowu zalogować.",
    ],
    "NEGATIVE": [
        "Nie działa.",
        "Nadal nie działa.",
        "Paczka jeszcze nie dotarła.",
        "Przyszedł uszkodzony.",
        "Ten sam problem co wcześniej.",
        "Nie jest w porządku.",
        "Nadal czekam.",
        "Działa źle.",
        "Przyszedł jeden, i to uszkodzony.",
        "Nadal nie mogę się zalogować.",
        "Pieniądze jeszcze nie wróciły.",
    ],
    "SATISFIED": [
        "Jestem bardzo zadowolona.",
        "Świetnie, dziękuję!",
        "Nie mam żadnych zastrzeżeń.",
    ],
    "DISSATISFIED": [
        "Nie jestem zadowolona.",
        "Niezadowolony.",
        "Jestem rozczarowany.",
    ],
    "OPT_OUT": [
        "STOP",
        "Proszę nie pisać.",
        "Nie piszcie do mnie więcej.",
        "Wypisz mnie.",
        "Usuńcie mnie z listy.",
        "Proszę o wypisanie.",
        "Rezygnuję z kontaktu.",
    ],
    "RATING_CUES": [
        "Ocena: 4",
        "Oceniam na 4.",
        "Daję piątkę!",
        "4 z 5",
        "5 gwiazdek",
        "Na mocną czwórkę.",
    ],
    "NUMBER_WORDS": [
        "Jeden.",
        "Jedna",
        "Jedno",
        "Dwa",
        "Dwie",
        "Trzy.",
        "Cztery",
        "Pięć!",
        "Dziesięć na dziesięć.",
        "Jedynka",
        "Daję jedynkę.",
        "Dwójka",
        "Daję dwójkę.",
        "Trójka",
        "Daję trójkę.",
        "Czwórka",
        "Daję czwórkę.",
        "Piątka!",
        "Daję piątkę.",
    ],
    "CONNECTIVES": [
        "Dotarło, ale nie działa.",
        "Działa, jednak głośno.",
        "Dotarło, lecz nie działa.",
        "Działa, chociaż trochę głośno.",
        "Nie jestem zadowolona, bo czekałam długo.",
        "Działa, tylko że głośno.",
        "Działa, natomiast pudełko było zgniecione.",
    ],
}
