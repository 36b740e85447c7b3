"""Slovenian phrases for the recovery lint (patterns on folded text; see the package docstring)."""

LANGUAGE = "sl"

# "Vam lahko še kako pomagam?" closes the conversation instead of checking the outcome.
# Folding turns "še" into "se", so "še kaj" is written "se kaj".
ANYTHING_ELSE = [
    r"\b(lahko|morem|moremo) (vam )?(se )?(kako|kaj|s cim|karkoli) (drugega |drugace |drugim |se )?(pomagam|pomagamo|storim|storimo|naredim|naredimo)\b",
    r"\b(pomagam|pomagamo|storim|storimo|naredim|naredimo) (za vas )?(vam )?se (s cim|kaj|kako|pri cem)\b",
    r"\bkaj (se )?(lahko |bi lahko )?(se )?(storim|storimo|naredim|naredimo) za vas\b",
    r"\bce (boste )?(potrebujete|potrebovali|rabite|rabili|zelite|zeleli) (se kaj|se karkoli|kaj drugega|karkoli drugega)\b",
    r"\bce (boste )?se kaj (potrebovali|potrebujete|zeleli|zelite)\b",
    r"\bali je (se kaj|kaj drugega|se kaj drugega),? (kar|s cimer|pri cemer) (vam )?(lahko|bi lahko)\b",
    r"\b(imate|boste imeli) (morda )?se (kaksno|kakrsnokoli|kaksna|kakrsnakoli) vprasanj\w*",
]

# Excuses, blame and the phrases that make things worse (service-recovery.md).
EXCUSE = [
    r"\b(vi|sami) bi (bili )?morali\b",
    r"\b(morali bi|bi morali) sami\b",
    r"\b(ste pozabil[ai]?|pozabil[ai]? ste) (navesti|vnesti|vpisati|oznaciti|preveriti|potrditi|izbrati|dodati)\b",
    r"\bste (narobe|napacno) (vnesli|izbrali|navedli|izpolnili|oznacili)\b",
    r"\bkot sem (vam )?ze (povedala?|rekel|rekla|dejala?|omenila?|pojasnila?|napisala?|zapisala?)\b",
    r"\bkot smo (vam )?ze (povedali|rekli|omenili|pojasnili|napisali|zapisali)\b",
    r"\bkot (je )?(bilo )?ze (receno|omenjeno|pojasnjeno|navedeno|zapisano)\b",
    r"\b((po|u)mirite se|se (po|u)mirite)\b",
    r"\bdrug(i|em|ega|emu)? oddel(ek|ku|ka|kom)\b",
    r"\bni v (nasi|moji) pristojnosti\b",
    r"\bni (nasa|moja) (krivda|odgovornost|napaka)\b",
    r"\bnismo (mi )?(krivi|odgovorni)\b",
    r"\bne (prevzemamo|moremo prevzeti) (nobene )?odgovornosti\b",
    r"\b(je|so) (kriv|kriva|krivo|krivi) (kurir\w*|dostavn\w* sluzb\w*|posta|dobavitelj\w*|prevoznik\w*|nas partner|partner\w*)\b",
    r"\b(kurir\w*|dostavn\w* sluzb\w*|posta|dobavitelj\w*|prevoznik\w*) (je|so) (kriv|kriva|krivi)\b",
    r"\bkrivda je na strani (kurir\w*|dostavn\w* sluzb\w*|post\w*|dobavitelj\w*|prevoznik\w*|partner\w*)\b",
    r"\b(zaradi|posledica) (napake |zamude |tezav )?(kurirj\w*|dostavne sluzbe|kurirske sluzbe|dobavitelj\w*|prevoznik\w*|nasega partnerja)\b",
    r"\b(nas )?sistem (je )?(naredil napako|odpovedal|zatajil|ni deloval)\b",
    r"\b(zaradi|prislo je do) (sistemske|tehnicne|racunalniske) (napake|tezave|okvare)\b",
    r"\bnapak\w* v (nasem )?sistemu\b",
    r"\b(nicesar|nic) (vec )?ne (morem|moremo) (storiti|narediti|ukreniti)\b",
    r"\bne (morem|moremo) (vec )?(storiti|narediti|ukreniti) (nic|nicesar)\b",
    r"\b(izven|zunaj) (nasega|nase) (nadzora|vpliva|moci)\b",
    r"\bna (kar|to) (zal )?nimamo (nobenega )?vpliva\b",
    r"\bzaradi (velikega|povecanega|izjemno velikega|nenavadno velikega) (stevila|obsega|povprasevanja)\b",
]

POLICY = [
    r"\b(politika|politike|politiko|politiki|pravila|pravil|pravilih|pravili) (nasega |vasega )?(podjetja|trgovine)\b",
    r"\b(nasa|nase|naso|nasi|nasimi|nasih) (poslovn\w* |intern\w* )?(politik[aeio]|pravil(a|ih|i|om)?)\b",
    r"\b(pravila|politika|pogoji) (nam )?(tega )?ne (dopuscajo|dovoljujejo|dopusca|dovoljuje|omogocajo|omogoca)\b",
    r"\bv nasprotju (s|z) (nasimi )?(pravili|politiko|pogoji)\b",
    r"\b(v skladu|skladno) (s|z) (nasimi )?(splosnimi )?(pogoji poslovanja|pravili|politiko)\b",
]

# Sending the customer away to solve it themselves, or asking them to repeat what we have.
DEFLECTION = [
    r"\b(obiscite|preverite|poglejte|oglejte si|preberite) (na )?(nas\w* )?(spletn\w* stran\w*|pogost\w* vprasanj\w*|rubrik\w* pogost\w* vprasanj\w*|cent\w* za pomoc|stran\w* s pomocjo)\b",
    r"\b(poklicite|poklicete|kontaktirajte|kontaktirate) (nas\w* )?(klicni center|brezplacno stevilko|telefonsko stevilko|sluzbo za (pomoc|podporo)|podporo|oddelek|kurirj\w*|dostavno sluzbo|dobavitelj\w*|proizvajalc\w*)",
    r"\b(obrnite se|se obrnete|se obrnite) (neposredno )?na (nas\w* |pristojn\w* |svoj\w* )?(klicni center|oddelek|sluzbo|kurirj\w*|dostavno sluzbo|dobavitelj\w*|proizvajalc\w*|posto|banko|prodajalca)",
    r"\b(ponovno|se enkrat|znova) (nam |mi )?(posljite|posredujte|navedite|sporocite|napisite|opisite)\b",
    r"\b(posljite|posredujte|navedite|sporocite|napisite|opisite) (nam |mi )?(ponovno|se enkrat|znova)\b",
    r"\bizpolnite (nas\w* )?(spletni |kontaktni |reklamacijski )?obrazec\b",
]

# "Opravičujemo se za morebitne nevšečnosti": sorry from nobody, about nothing in particular.
IMPERSONAL_APOLOGY = [
    r"\bopravicujemo se (vam )?(za|zaradi) (morebitne |nastale |vse )?(nevsecnosti|neprijetnosti)\b",
    r"\bza (morebitne|nastale|povzrocene) (nevsecnosti|neprijetnosti)\b",
    r"\bza (nastale |vse )?(nevsecnosti|neprijetnosti) se (vam )?(iskreno )?opravicujemo\b",
    r"\b(oprostite|opravicilo) (za|zaradi) (nastale |vse )?(nevsecnosti|neprijetnosti)\b",
    r"\bobzalujemo (morebitne |vse |nastale )?(nevsecnosti|neprijetnosti)\b",
    r"\b(podjetje|nase podjetje) se (vam )?(iskreno )?opravicuje\b",
]

# Matched only at the very start of the reply, after the greeting. "Žal mi je" ("I am sorry")
# starts with the same word as "žal" ("unfortunately") and is an apology, not an opener.
UNFORTUNATELY_OPENER = [
    r"^zal\b(?! (mi|nam) je\b)",
    r"^na zalost\b",
]

# A first-person apology ("žal mi je", "opravičujem se"; not the plural "opravičujemo se").
APOLOGY = [
    r"\bzal mi je\b",
    r"\bmi je (zelo |resnicno |iskreno |res |neizmerno |izredno )?zal\b",
    r"\bopravicujem\b",
    r"\bmoje (iskreno |globoko |najiskrenejse )?opravicilo\b",
]

# The close: does the solution work for the customer, are they satisfied with it?
SATISFACTION = [
    r"\bvam (ta |taka |taksna |predlagana |moja |nasa )?resitev ustreza\b",
    r"\bvam ustreza (ta |taka |taksna |predlagana |moja )?resitev\b",
    r"\bali vam (to|tako) ustreza\b",
    r"\bste (bili )?zadovoljn[ia] (s|z) (tem|to|resitvijo|nacinom|predlagano|mojo|nasim|nasimi|novim|novo)\b",
    r"\bste (s|z) (to |tem |predlagano |taksno |mojo )?(resitvijo |predlogom )?zadovoljn[ia]\b",
    r"\bje (ta |taka |taksna |predlagana )?resitev (za vas )?sprejemljiva\b",
]

# A concrete first-person action: what is being done, now. The present tense ("urejam",
# "pošiljam") is gender-neutral; past and future participles come in both genders ("uredil",
# "uredila").
ACTION = [
    r"\b(urejam|uredim|posiljam|posljem|vracam|povrnem|povracam|preverjam|pregledujem|posredujem|predajam|prijavljam|prevzemam|narocam|obnavljam|dodajam|odpiram|popravljam|zamenjam|poskrbim|nakazujem|zagotavljam|odpravljam)\b",
    r"\bsem (vam )?(ze )?(vam )?(uredil|poslal|vrnil|povrnil|preveril|pregledal|posredoval|predal|prijavil|prevzel|narocil|obnovil|dodal|odprl|popravil|zamenjal|nakazal|poskrbel|odobril|odpravil|zagotovil)a?\b",
    r"\b(uredil|poslal|vrnil|povrnil|preveril|pregledal|posredoval|predal|prijavil|prevzel|narocil|obnovil|dodal|odprl|popravil|zamenjal|nakazal|poskrbel|odobril|odpravil|zagotovil)a? sem\b",
    r"\bbom (vam )?(ze |se danes |danes |takoj |osebno )?(uredil|poslal|vrnil|povrnil|preveril|posredoval|prijavil|prevzel|narocil|obnovil|dodal|popravil|zamenjal|nakazal|poskrbel|zagotovil)a?\b",
    r"\b(uredil|poslal|vrnil|povrnil|preveril|posredoval|prijavil|prevzel|narocil|obnovil|dodal|popravil|zamenjal|nakazal|poskrbel|zagotovil)a? (vam )?bom\b",
    r"\b(smo|bomo) (vam )?(ze )?(uredili|poslali|vrnili|povrnili|zamenjali|nakazali|obnovili|poskrbeli)\b",
]

# Words that introduce an order, booking or invoice number, as folded regexes; the number
# itself (with an optional "no.", "nr.", "#" or ":" before it) is matched by outbox.facts.
# Slovenian writes "št." (številka) before the number: "naročilo št. 4411", folded "st.".
ORDER_WORDS = [
    r"narocil(?:\w{0,4} (?:st\b\.?|s stevilko|stevilka))?",
    r"racun(?:\w{0,4} (?:st\b\.?|s stevilko|stevilka))?",
    r"rezervacij(?:\w{0,4} (?:st\b\.?|s stevilko|stevilka))?",
    r"paket(?:\w{0,4} (?:st\b\.?|s stevilko|stevilka))?",
    r"posiljk(?:\w{0,4} (?:st\b\.?|s stevilko|stevilka))?",
    r"stevilk\w{0,4} za sledenje",
]

# (sentence, the number outbox.facts must extract from it)
ORDER_EXAMPLES: list[tuple[str, str]] = [
    ("Moje naročilo 4411 še ni prispelo.", "4411"),
    ("Naročilo št. A-99812 je bilo napačno.", "A-99812"),
    ("Račun št. 2026-0042 ste mi zaračunali dvakrat.", "2026-0042"),
    ("Rezervacija: XK55Q1", "XK55Q1"),
    ("Paket s številko 3391027 se je izgubil.", "3391027"),
    ("Pri naročilu številka 5521 manjka en izdelek.", "5521"),
    ("Številka za sledenje: SI778812", "SI778812"),
]

EXAMPLES: dict[str, list[str]] = {
    "ANYTHING_ELSE": [
        "Vam lahko še kako pomagam?",
        "Ali lahko še kaj storim za Vas?",
        "Vam lahko pomagam še s čim drugim?",
        "Kaj še lahko storim za Vas?",
        "Če potrebujete še kaj, mi pišite.",
        "Če boste še kaj potrebovali, smo Vam na voljo.",
        "Ali je še kaj, kar lahko storim za Vas?",
        "Če imate še kakšno vprašanje, nam pišite.",
    ],
    "EXCUSE": [
        "Vi bi morali preveriti tabelo velikosti.",
        "Morali bi sami prebrati navodila.",
        "Pozabili ste navesti številko stanovanja.",
        "Ste napačno vnesli naslov za dostavo.",
        "Kot sem Vam že pojasnila, je paket odšel v ponedeljek.",
        "Kot smo Vam že pojasnili, vračilo traja deset dni.",
        "Kot že rečeno, vračila trajajo deset dni.",
        "Prosim, pomirite se, da se lahko pogovoriva.",
        "To naročilo je urejal drug oddelek.",
        "To ni v naši pristojnosti.",
        "To ni naša krivda.",
        "Za to nismo krivi.",
        "Za izgubljene pošiljke ne prevzemamo odgovornosti.",
        "Za zamudo je kriva dostavna služba.",
        "Kurir je kriv, da paket ni prispel.",
        "Krivda je na strani dobavitelja.",
        "Zamuda je posledica napake dostavne službe.",
        "Naš sistem je naredil napako pri Vašem računu.",
        "Zaradi tehnične napake je prišlo do zamude.",
        "Šlo je za napako v sistemu.",
        "Žal ničesar ne moremo storiti.",
        "Na tej točki ne moremo storiti ničesar.",
        "Zamuda je bila izven našega nadzora.",
        "Na to nimamo vpliva.",
        "Zaradi velikega števila povpraševanj odgovarjamo počasneje.",
    ],
    "POLICY": [
        "Takšna je politika podjetja, zato poštnine ne vračamo.",
        "Naša pravila ne dovoljujejo menjave po 14 dneh.",
        "Pravila tega ne dopuščajo.",
        "To bi bilo v nasprotju z našimi pravili.",
        "V skladu s splošnimi pogoji poslovanja vračila ni mogoče odobriti.",
    ],
    "DEFLECTION": [
        "Prosim, obiščite našo spletno stran, kjer najdete obrazec za vračilo.",
        "Pokličite naš klicni center med 8. in 16. uro.",
        "Za vračilo se obrnite na dostavno službo.",
        "Prosim, ponovno nam pošljite številko naročila in naslov.",
        "Sporočite nam še enkrat svoj naslov.",
        "Izpolnite spletni obrazec za reklamacije.",
    ],
    "IMPERSONAL_APOLOGY": [
        "Opravičujemo se za morebitne nevšečnosti.",
        "Za morebitne neprijetnosti se opravičujem.",
        "Za nastale nevšečnosti se Vam iskreno opravičujemo.",
        "Oprostite za nevšečnosti.",
        "Obžalujemo morebitne nevšečnosti.",
        "Podjetje se Vam opravičuje.",
    ],
    "UNFORTUNATELY_OPENER": [
        "Žal Vašega naročila ni več mogoče spremeniti.",
        "Na žalost izdelka ni več na zalogi.",
        "Žal, paket se je izgubil.",
    ],
    "APOLOGY": [
        "Žal mi je za zmedo.",
        "Resnično mi je žal.",
        "Iskreno se Vam opravičujem za napačno bremenitev.",
        "Sprejmite moje iskreno opravičilo za zamudo.",
    ],
    "SATISFACTION": [
        "Ali Vam ta rešitev ustreza?",
        "Ali Vam ustreza taka rešitev?",
        "Ali Vam to ustreza?",
        "Sporočite mi, ali ste zadovoljni z novim datumom.",
        "Ste s to rešitvijo zadovoljni?",
        "Je ta rešitev za Vas sprejemljiva?",
    ],
    "ACTION": [
        "Še danes Vam pošiljam nadomestni izdelek.",
        "Sem že uredila zamenjavo.",
        "Vračilo sem Vam že nakazal.",
        "Uredil sem, da Vas kurir pred dostavo pokliče.",
        "Še danes Vam bom poslala številko za sledenje.",
        "Poskrbel bom, da Vas kurir najprej pokliče.",
        "Nadomestni izdelek smo Vam že poslali.",
    ],
}
