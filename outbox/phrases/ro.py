"""Romanian phrases for the recovery lint (patterns on folded text; see the package docstring)."""

LANGUAGE = "ro"

# „Vă mai pot ajuta cu altceva?” închide conversația în loc să verifice rezultatul.
ANYTHING_ELSE = [
    r"\b(va |te )?(mai )?(pot|putem) (sa )?(va |te )?(mai )?ajuta (si )?(cu|in) (altceva|orice altceva|alte (intrebari|probleme|nelamuriri))\b",
    r"\b(mai )?(pot|putem) (sa )?(face|fac|facem) (altceva|ceva|orice altceva) pentru (dumneavoastra|dvs|tine)\b",
    r"\b(mai )?este ceva (ce|cu care|in care|pe care) (va )?(mai )?(pot|putem)\b",
    r"\bdaca (mai )?(aveti|ai) nevoie de (altceva|orice altceva|ceva in plus)\b",
    r"\bdaca (mai )?(este|exista) (si )?(altceva|orice altceva)\b",
    r"\bmai (doriti|aveti nevoie de) (altceva|ceva)\b",
    r"\bce (altceva )?(mai )?(pot|putem) (sa )?(face|fac|facem) pentru (dumneavoastra|dvs|tine)\b",
]

# Scuze, vină aruncată pe alții și formulările care înrăutățesc situația (service-recovery.md).
EXCUSE = [
    r"(?<!nu )(?<!n-)\b(ar fi trebuit|trebuia) sa (ne |ma |le |o |il )?(mai )?\w+ti\b",
    r"\bati (uitat|omis|neglijat) sa\b",
    r"\bdin (cauza|vina) (dumneavoastra|dvs)\b",
    r"\b(dupa cum|asa cum|cum) (v-)?am (spus|mentionat|precizat|explicat|comunicat) (deja|anterior|si inainte|mai devreme)\b",
    r"\b(dupa cum|asa cum|cum) (v-)?am mai (spus|mentionat|precizat|explicat)\b",
    r"\b(dupa cum|asa cum|cum) (s-a|a fost) (mentionat|precizat|explicat|comunicat) (deja|anterior)\b",
    r"\b(calmati-va|linistiti-va)\b",
    r"\bsa va (calmati|linistiti)\b",
    r"\bnu va (agitati|enervati|mai enervati)\b",
    r"\b(un )?alt (departament|compartiment|serviciu intern)\b",
    r"\b(celalalt|celelalte) (departament|departamente|compartiment)\b",
    r"\bnu (este|e|a fost|era) (vina|responsabilitatea|in responsabilitatea) noastra\b",
    r"\bnu (a fost |este |e |s-a intamplat |a aparut )?din vina noastra\b",
    r"\bnu tine de noi\b",
    r"\b(curierul|furnizorul|transportatorul|firma de curierat|partenerul nostru)( nostru)? (este|e|a fost) de vina\b",
    r"\bvina (este|e|a fost|apartine) (a )?(curierului|furnizorului|transportatorului|firmei de curierat|postei)\b",
    r"\b(cauzat|cauzata|provocat|provocata) de (catre )?(curier|furnizor|transportator|firma de curierat|posta)",
    r"\bdin cauza (curierului|furnizorului|transportatorului|firmei de curierat|postei)\b",
    r"\bsistemul( nostru)? (a gresit|a facut o (eroare|greseala)|a avut o (eroare|defectiune|problema)|a picat|a fost (cazut|nefunctional|indisponibil))\b",
    r"\b(din cauza|datorita) unei (erori|probleme|defectiuni) (de sistem|a sistemului|informatice)\b",
    r"\bnu (mai )?(putem|pot) face nimic\b",
    r"\bnu (se )?(mai )?poate face nimic\b",
    r"\bnu (mai )?avem ce (sa )?face\b",
    r"\b(in )?afara controlului nostru\b",
    r"\bindependent(a|e)? de (noi|vointa noastra)\b",
    r"\bnu (a )?depin(de|s) de noi\b",
    r"\bforta majora\b",
    r"\b(volumului|numarului) (foarte )?(mare|ridicat|crescut) de (solicitari|comenzi|cereri|mesaje|apeluri|e-mailuri)\b",
]

POLICY = [
    r"\bpolitic(a|ii) (companiei|firmei|magazinului|noastr(a|e)|interna|interne)\b",
    r"\bpolitic(a|ii) (noastre |companiei |firmei |magazinului )?de (retur|returnare|rambursare|livrare|garantie)\b",
    r"\b(conform|potrivit|in conformitate cu) (procedurii|procedurilor|regulamentului|regulilor) (interne|interna|intern|companiei|firmei|magazinului|noastre|nostru)\b",
    r"\b(impotriva|contrar|contra) (regulilor|politicii|regulamentului|procedurilor)\b",
    r"\b(regulamentul|regulamentul nostru|procedura interna|regulile noastre|regulile) nu (ne )?(permit|permite)\b",
]

# Trimiterea clientului în altă parte să se descurce singur, sau cererea de a repeta ce avem deja.
DEFLECTION = [
    r"\b(vizitati|consultati|accesati) (site-ul|website-ul|pagina|sectiunea) (nostru|noastra|de ajutor|de suport|de contact|faq)\b",
    r"\b(vizitati|consultati|accesati) (sectiunea )?(intrebari frecvente|faq)\b",
    r"\b(sunati|apelati) (la )?(call center|call-center|linia|infoline|serviciul|numarul|dispeceratul)\b",
    r"\bcontactati (telefonic )?(call center|call-center|linia telefonica|serviciul (de )?relatii cu clientii|dispeceratul|departamentul)\b",
    r"\b(va rog|va rugam)( sa)?( ne| imi|-mi)? (trimiteti|transmiteti|comunicati|furnizati|spuneti|precizati) (din nou|inca o data)\b",
    r"\b(va rog|va rugam)( sa)?( ne| imi|-mi)? (retrimiteti|repetati)\b",
    r"\bcomplet(ati|and) formularul\b",
]

# „Ne cerem scuze pentru eventualele neplăceri”: scuze de la nimeni, pentru nimic anume.
IMPERSONAL_APOLOGY = [
    r"\b(ne|va) (cerem|prezentam) scuze(le)?( noastre)? pentru (orice |eventual\w* |toate )?(neplacer|inconvenient|deranj)\w*",
    r"\bne pare rau pentru (orice |eventual\w* |toate )?(neplacer|inconvenient|deranj)\w*",
    r"\bregretam (orice |eventual\w* |toate )?(neplacer|inconvenient|deranj)\w*",
    r"\bscuze pentru (orice|eventual\w*) (neplacer|inconvenient|deranj)\w*",
    r"\bscuze pentru (neplacerile|inconvenientele|deranjul) (create|creat|cauzate|cauzat|produse|produs|provocate|provocat)\b",
    r"\b(compania|firma|magazinul|echipa)( noastra)? (isi cere|va cere|va prezinta) scuze\b",
]

# Se potrivește doar chiar la începutul răspunsului, după salut.
UNFORTUNATELY_OPENER = [
    r"^(din pacate|din nefericire|cu regret|cu parere de rau|spre regretul nostru|regretam)\b",
]

# Scuze la persoana întâi singular.
APOLOGY = [
    r"\bimi cer (sincer |mii de |din suflet |inca o data )?scuze\b",
    r"\bimi pare( \w+)?( de)? rau\b",
    r"\bscuzele mele\b",
    r"\bva cer (sincer |mii de |din suflet )?scuze\b",
    r"\bregret (sincer |profund |foarte mult )?ca\b",
]

# Încheierea: îi convine clientului soluția, este mulțumit de ea?
SATISFACTION = [
    r"\bva (multumeste|convine|satisface) (aceasta|solutia|rezolvarea|varianta|propunerea)\b",
    r"\bdaca va (multumeste|convine|satisface) (felul|modul|aceasta|solutia|rezolvarea|cum)\b",
    r"\b(sunteti|ati fi) (multumit\w*(/a|\(a\))? de|de acord cu) (aceasta|solutia|felul|modul|rezolvarea|varianta|cum|noua)\b",
    r"\b(aceasta solutie|solutia (aceasta|propusa)) (va convine|va multumeste|este in regula|este acceptabila|este potrivita)\b",
    r"\beste (aceasta solutie|solutia aceasta|solutia propusa) (in regula|acceptabila|potrivita) pentru (dumneavoastra|dvs)\b",
]

# O acțiune concretă la persoana întâi: ce se face, acum.
ACTION = [
    r"\bam (deja |acum |astazi |imediat |personal )?(trimis|rambursat|returnat|emis|rezervat|restabilit|reactivat|inlocuit|anulat|creditat|adaugat|preluat|deschis|semnalat|raportat|transmis|verificat|corectat|remediat|rezolvat|expediat|aranjat|organizat|programat|activat|trecut|escaladat|solicitat|cerut|refacut|comandat)\b",
    r"\bm-am (ocupat|asigurat)\b",
    r"\b(voi|vom) (trimite|rambursa|inlocui|expedia|credita|suna|remedia|restabili|corecta|rezolva|returna)\b",
    r"\bo sa (va )?(trimit|trimitem|rambursez|inlocuiesc|sun|rezolv|corectez|expediez)\b",
    r"\b(va )?(trimit|rambursez|inlocuiesc|restabilesc|corectez|expediez) (chiar )?(astazi|acum|imediat|azi)\b",
]

# Cuvinte care introduc un număr de comandă, rezervare, factură sau colet, ca regexuri pe text
# pliat; numărul însuși (cu un „nr.”, „#” sau „:” opțional înainte) îl găsește outbox.facts.
ORDER_WORDS = [
    r"comanda (mea )?cu numarul",
    r"comanda mea",
    r"comand",
    r"comenz",
    r"rezervar",
    r"factura fiscala",
    r"factur",
    r"colet",
    r"awb",
]

# (propoziție, numărul pe care outbox.facts trebuie să-l extragă din ea)
ORDER_EXAMPLES: list[tuple[str, str]] = [
    ("Comanda mea 4411 nu a mai ajuns.", "4411"),
    ("Comanda 5120 a ajuns incompletă.", "5120"),
    ("Comanda nr. A-99812 era greșită.", "A-99812"),
    ("Factura #2026-0042 este dublată.", "2026-0042"),
    ("Numărul comenzii: XK55Q1", "XK55Q1"),
    ("Am plasat comanda cu numărul 778812 luni.", "778812"),
    ("Coletul cu AWB 1234567890 stă în depozit.", "1234567890"),
    ("Factura fiscală nr. FF-2031 are suma greșită.", "FF-2031"),
    ("Rezervarea nr. R77-15 a fost anulată.", "R77-15"),
]

EXAMPLES: dict[str, list[str]] = {
    "ANYTHING_ELSE": [
        "Vă mai pot ajuta cu altceva?",
        "Mai pot face ceva pentru dumneavoastră?",
        "Mai este ceva cu care vă pot ajuta?",
        "Dacă mai aveți nevoie de altceva, nu ezitați să ne scrieți.",
        "Dacă mai este și altceva, vă stăm la dispoziție.",
        "Mai doriți altceva?",
        "Ce altceva mai pot face pentru dumneavoastră?",
    ],
    "EXCUSE": [
        "Ar fi trebuit să verificați tabelul de mărimi.",
        "Ați uitat să completați numărul apartamentului.",
        "Coletul a fost returnat din cauza dumneavoastră.",
        "După cum v-am spus deja, coletul a plecat luni.",
        "Așa cum v-am mai explicat, rambursarea durează zece zile.",
        "După cum s-a menționat anterior, nu facem schimburi.",
        "Calmați-vă, vă rog, ca să putem discuta.",
        "Vă rog să vă calmați.",
        "Nu vă agitați, rezolvăm.",
        "De comanda aceasta s-a ocupat un alt departament.",
        "Celălalt departament a procesat cererea.",
        "Aceasta nu este vina noastră.",
        "Întârzierea nu a apărut din vina noastră.",
        "Livrarea nu ține de noi.",
        "Curierul este de vină pentru întârziere.",
        "Vina aparține firmei de curierat.",
        "Întârzierea a fost cauzată de curier.",
        "Coletul a întârziat din cauza furnizorului.",
        "Sistemul nostru a făcut o eroare la factura dumneavoastră.",
        "Suma a fost greșită din cauza unei erori de sistem.",
        "Nu mai putem face nimic în acest moment.",
        "Din păcate, nu se mai poate face nimic.",
        "Nu avem ce face în această situație.",
        "Întârzierea a fost în afara controlului nostru.",
        "Este o situație independentă de voința noastră.",
        "Livrarea nu depinde de noi.",
        "A fost un caz de forță majoră.",
        "Din cauza volumului mare de solicitări, răspundem mai greu.",
    ],
    "POLICY": [
        "Politica companiei nu permite rambursarea transportului.",
        "Conform politicii noastre de retur, schimburile se fac în 14 zile.",
        "Conform procedurii interne, nu putem face excepții.",
        "Acest lucru ar fi împotriva regulilor.",
        "Regulamentul nu permite excepții.",
    ],
    "DEFLECTION": [
        "Vă rugăm să vizitați site-ul nostru pentru formularul de retur.",
        "Consultați secțiunea Întrebări frecvente.",
        "Vă rugăm să sunați la call center între 9 și 17.",
        "Contactați telefonic serviciul de relații cu clienții.",
        "Vă rugăm să ne trimiteți din nou numărul comenzii și adresa.",
        "Vă rog să-mi retrimiteți datele comenzii.",
        "Vă rugăm să completați formularul de contact.",
    ],
    "IMPERSONAL_APOLOGY": [
        "Ne cerem scuze pentru eventualele neplăceri.",
        "Ne pare rău pentru orice inconvenient.",
        "Regretăm neplăcerile create.",
        "Scuze pentru orice deranj.",
        "Ne cerem scuze pentru deranj.",
        "Scuze pentru neplăcerile create.",
        "Compania își cere scuze.",
    ],
    "UNFORTUNATELY_OPENER": [
        "Din păcate, comanda nu mai poate fi modificată.",
        "Din nefericire, produsul nu mai este în stoc.",
        "Cu regret vă anunțăm că coletul s-a pierdut.",
        "Regretăm să vă informăm că nu mai avem stoc.",
    ],
    "APOLOGY": [
        "Îmi cer scuze pentru încurcătură.",
        "Îmi pare nespus de rău.",
        "Vă rog să primiți scuzele mele pentru suma greșită.",
        "Vă cer sincer scuze pentru întârziere.",
        "Regret sincer că s-a întâmplat acest lucru.",
    ],
    "SATISFACTION": [
        "Vă mulțumește această soluție?",
        "Vă rog să-mi spuneți dacă vă convine felul în care am rezolvat situația.",
        "Sunteți mulțumit/ă de noua dată? Sunteți de acord cu soluția propusă?",
        "Soluția propusă vă convine?",
        "Este această soluție în regulă pentru dumneavoastră?",
    ],
    "ACTION": [
        "Am trimis astăzi un produs nou.",
        "M-am asigurat că un curier vă va suna înainte.",
        "Vă voi trimite numărul de urmărire astăzi.",
        "O să vă rambursez diferența.",
        "Vă trimit chiar acum factura corectată.",
    ],
}
