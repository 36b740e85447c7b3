"""Serbian phrases for the recovery lint (patterns on folded text; see the package docstring).

Written once in Latin script without diacritics: Cyrillic text is transliterated before
matching, so "извињавам се" and "izvinjavam se" meet the same pattern. Ekavian and ijekavian
forms (rešenje/rješenje, proveriti/provjeriti) are both listed where they are common.
"""

LANGUAGE = "sr"

# "Da li Vam još nečim mogu pomoći?" closes the conversation instead of checking the outcome.
ANYTHING_ELSE = [
    r"\bjos (nesto|nesta|necim|u necemu|nekako)( drugo| drugim)? (\w+ ){0,4}?(pomo(c|g)|ucin|uradi)\w*",
    r"\bpomo(ci|gnem|gnemo) (vam )?(jos (u |sa )?ne(cemu|cim)|(u |sa )?ne(cemu|cim) drugom)\b",
    r"\b(ako|ukoliko) (vam |vama )?(je |bude )?(jos )?(treba|zatreba|potrebno) (jos )?(nesto|nesta)\b",
    r"\bsta (jos|drugo|vise) (mogu|mozemo) (da )?(ucin|urad|pomog)\w*",
    r"\b(ako|ukoliko) imate (jos (nek\w* |bilo kakv\w* )?|(bilo kakv\w* |nek\w* )?(dodatn|drug)\w* )pitanj\w*",
]

# Excuses, blame and the phrases that make things worse (service-recovery.md).
EXCUSE = [
    r"\btrebal[ia] ste\b",
    r"\bvi ste trebal[ia]\b",
    r"\btrebalo je da (ste )?(nam |vi )?(proveri|navede|procita|unese|pogleda|obrati|pazi|javi)\w*",
    r"\b(zaboravili|propustili) ste\b",
    r"\bniste (naveli|uneli|unijeli|upisali|proverili|provjerili|procitali|popunili)\b",
    r"\bkao sto (sam|smo) (vec |ranije |prethodno )?(rekl|navel|naveo|napisa|objasni|pomenu|spomenu)\w*",
    r"\bkao sto je (vec |ranije |prethodno )?(navedeno|receno|objasnjeno|napomenuto|pomenuto|spomenuto)\b",
    r"\b(da )?se smirite\b",
    r"\bdrug\w{0,3} (odeljenj|odjeljenj|sektor|sluzb)\w*",
    r"\bnije u (nasoj|mojoj) nadleznosti\b",
    r"\bnije (to )?(nasa|moja) (greska|krivica|odgovornost)\b",
    r"\b(to )?nije do nas\b",
    r"\bnismo (mi )?krivi\b",
    r"\b(kurir|dobavljac|prevoznik|post(a|e|ansk)|partner)\w*( \w+)? (je|su) (kriv\w*|odgovor(an|na|ni|no))\b",
    r"\b(greska|krivica|propust) (je )?(kurir|dobavljac|prevoznik|poste|partner)\w*",
    r"\b(zbog|krivicom|greskom) (greske |propusta )?(kurir|dobavljac|prevoznik|poste|nasih partnera)\w*",
    r"\b(nas )?sistem (je )?(pogresio|napravio gresku|pao|zakazao|bio u kvaru)\b",
    r"\bdoslo je do (sistemske|tehnicke) greske\b",
    r"\bgreska u (nasem )?sistemu\b",
    r"\b(ne mozemo|ne mogu|nismo u mogucnosti) (tu )?(vise )?nista (da )?(uradi|ucini|preduz)\w*",
    r"\bnista (vise )?(tu )?(ne mozemo|ne mogu|ne moze|se ne moze) (da )?(uradi|ucini|preduz)\w*",
    r"\b(van|izvan) (nase|naseg|moje) (kontrole|uticaja|domasaja)\b",
    r"\bna (sta|sto|koje) ne mozemo (da )?utic\w*",
    r"\bzbog (izuzetno |povecanog |velikog |pojacanog )+(broja|obima) (upita|zahteva|zahtjeva|porudzbina|narudzbi|posla|poruka)\b",
    r"\bzbog (velike|povecane|pojacane) (guzve|traznje|potraznje)\b",
]

POLICY = [
    r"\b(politik\w*|pravil(a|ima|o|u)) (nase |naseg )?(kompanij|firm|prodavnic|preduzec|radnj)\w*",
    r"\bnas(a|e|u|om|im|oj)? (poslovn\w* )?(politik\w*|pravil(a|ima|o|u))\b",
    r"\b(politika|pravila|pravilnik) (nam )?(ne dozvoljava|ne dopusta|ne dozvoljavaju|ne dopustaju)\b",
    r"\b(protiv|suprotno) (nasih |nasim |ovih )?(pravil|politik)\w*",
    r"\b(u skladu sa|prema) (nasom |nasoj |nasim |internim )?(politikom|politici|pravilima)\b",
]

# Sending the customer away to solve it themselves, or asking them to repeat what we have.
DEFLECTION = [
    r"\b(posetite|posjetite|pogledajte|proverite|provjerite|konsultujte) (nasu |nas |nase )?(sajt|veb ?sajt|web ?sajt|internet stranic\w*|faq|centar za pomoc|stranic\w* (za )?(cesta pitanja|pomoc|podrsk\w*))",
    r"\b(pozovite|nazovite|kontaktirajte|obratite se|se obratite) (nas |nasu |nasem |na )?(call ?cent\w*|kol ?cent\w*|kontakt ?cent\w*|info ?linij\w*|korisnick\w* (servis|sluzb|podrsk)\w*|dezurn\w* linij\w*)",
    r"\b(obratite se|se obratite) (direktno )?(svojoj |vasoj )?(proizvodjac\w*|proizvodac\w*|ovlascen\w* servis\w*|kurirsk\w* sluzb\w*|posti|banci)\b",
    r"\b(posaljite|dostavite|navedite|napisite) (nam |mi )?(ponovo|jos jednom|opet)\b",
    r"\b(nam|mi) (ponovo|jos jednom|opet) (posaljete|dostavite|navedete|napisete|date)\b",
    r"\bponovite (nam |mi )?(broj|adres|podat|svoj|vas|sve)\w*",
    r"\bpopunite (nas |nasu )?(online |onlajn )?(kontakt )?(formular|obrazac|form)\w*",
]

# "Izvinjavamo se zbog eventualnih neprijatnosti": sorry from nobody, about nothing in particular.
IMPERSONAL_APOLOGY = [
    r"\b(eventualn|moguc|nastal|svak|bilo kakv|prouzrokovan|izazvan|pricinjen)\w* (\w+ )?(neprijatnost|neugodnost)\w*",
    r"\b(izvinjavamo|ispricavamo) se (zbog|za|na) (\w+ ){0,2}?(neprijatnost|neugodnost)\w*",
    r"\bzao nam je (zbog|za|sto) (\w+ ){0,2}?(neprijatnost|neugodnost)\w*",
    r"\bizvinite (na|zbog|za) (\w+ )?(neprijatnost|neugodnost)\w*",
    r"\bmolimo (vas )?za (razumevanje|razumijevanje|strpljenje)\b",
]

# Matched only at the very start of the reply, after the greeting.
UNFORTUNATELY_OPENER = [
    r"^(na ?zalost|nesrecom)\b",
]

# A first-person apology ("žao nam je" and "izvinjavamo se" are not).
APOLOGY = [
    r"\bzao mi je\b",
    r"\b(iskreno|zaista|veoma|jako|izuzetno|duboko|stvarno|mnogo|strasno|neizmerno|neizmjerno) mi je (\w+ )?zao\b",
    r"\bmeni je (\w+ )?zao\b",
    r"\b(izvinjavam|ispricavam)\b",
    r"\bmoje (iskreno |najiskrenije |duboko )?izvinjenje\b",
    r"\b(oprostite mi|molim (vas )?(da mi oprostite|za oprostaj))\b",
]

# The close: does the solution work for the customer, are they satisfied with it?
SATISFACTION = [
    r"\bda li vam (ovo |ovakvo |takvo |to |ovaj )?(resenje |rjesenje |predlog |prijedlog )?odgovara\b",
    r"\bodgovara li vam (ovo|ovakvo|takvo|to|ovaj)\b",
    r"\b(da li|je li|jel) (je |vam je |je vam |je za vas )?(ovo|ovakvo|takvo|ovaj predlog|ovaj prijedlog|to)( resenje| rjesenje)? (vam |za vas )?(prihvatljiv\w*|u redu|ok|okej)\b",
    r"\b(da li ste|jeste li|ste li) (\w+ )?zadovoljn\w* (sa |s )?(resenj|rjesenj|nacin|tim|time|ovim|ovakv|predlog|prijedlog|kako|onim|ishod)\w*",
]

# A concrete first-person action: what is being done, now.
_PARTICIPLES = (
    r"(posla|vrati|refundira|organizova|zakaza|obnovi|zameni|zamijeni|otkaza|uplati|doda|preuze|"
    r"otvori|prijavi|prosledi|proslijedi|proveri|provjeri|ispravi|popravi|pokrenu|eskalira|aktivira|"
    r"odobri|obezbedi|obezbijedi|dogovori|uputi|sredi)(o|la)"
)
ACTION = [
    rf"\b{_PARTICIPLES} sam\b",
    rf"\bsam (vam )?(vec |upravo |odmah |danas |licno )*(vam )?{_PARTICIPLES}\b",
    r"\b(saljem|vracam|organizujem|zakazujem|prosledujem|prosljedujem|preuzimam|pokrecem|dodajem|"
    r"uplacujem|odobravam|ispravljam|otvaram|prijavljujem|obnavljam|refundiram|aktiviram|"
    r"zamenjujem|mijenjam|storniram)\b",
    r"\b(pobrinu|posla|vrati|organizova|prosledi|proslijedi|zakaza|zameni|zamijeni|uplati|refundira|"
    r"ispravi|obezbedi|obezbijedi|doda|pokrenu|preuze|potvrdi)(cu|cemo)\b",
    r"\b(cu|cemo) (vam |se |licno )*(poslati|vratiti|organizovati|proslediti|proslijediti|zakazati|"
    r"zameniti|zamijeniti|uplatiti|refundirati|ispraviti|obezbediti|obezbijediti|pobrinuti)\b",
    r"\blicno (pratim|preuzimam|proveravam|provjeravam|se bavim)\b",
]

# Words that introduce an order, booking or invoice number, as folded regexes; the number
# itself (with an optional "br.", "#" or ":" before it) is matched by outbox.facts. Serbian
# puts "broj" / "pod brojem" between the word and the number, so it is part of the word here;
# the lookahead lets a word without a number after it give way to another language's pattern.
_NUMBER_FOLLOWS = r"(?=\w{0,4}\s*(?:br\.?|#|:)?\s*[:#]?\s*[a-z0-9/-]*\d)"
ORDER_WORDS = [
    r"(?:porudzb|narudzb|posiljk|paket|rezervacij|faktur)\w{0,4}(?: (?:pod )?broj)?"
    + _NUMBER_FOLLOWS,
    r"(?:pred)?racun\w{0,3}(?=\s?(?:br\b|br\.|broj|#|:))(?: broj)?" + _NUMBER_FOLLOWS,
    r"(?:broj|kod)\w{0,2} za pracenje",
]

# (sentence, the number outbox.facts must extract from it)
ORDER_EXAMPLES: list[tuple[str, str]] = [
    ("Moja porudžbina 4411 nikada nije stigla.", "4411"),
    ("Porudžbina broj A-99812 je pogrešna.", "A-99812"),
    ("Поруџбина бр. 5521 још није стигла.", "5521"),
    ("Račun br. 2026-0042 naplaćen je dva puta.", "2026-0042"),
    ("Šaljem Vam fakturu broj 2026/118.", "2026/118"),
    ("Rezervacija pod brojem XK55Q1 je otkazana.", "XK55Q1"),
    ("Pošiljka 77120 stigla je oštećena.", "77120"),
    ("Paket sa brojem za praćenje: RS123456789 nije isporučen.", "RS123456789"),
    ("Narudžba #88213 kasni nedelju dana.", "88213"),
    ("Paket broj 30571 vraćen je pošiljaocu.", "30571"),
    ("Платио сам поруџбину под бројем 12-777.", "12-777"),
]

EXAMPLES: dict[str, list[str]] = {
    "ANYTHING_ELSE": [
        "Da li Vam još nečim mogu pomoći?",
        "Ima li još nešto što mogu da uradim za Vas?",
        "Mogu li da Vam pomognem još u nečemu?",
        "Ako Vam treba još nešto, slobodno se javite.",
        "Ukoliko Vam je potrebno još nešto, stojimo Vam na raspolaganju.",
        "Šta još mogu da učinim za Vas?",
        "Ako imate dodatnih pitanja, slobodno nas kontaktirajte.",
        "Ukoliko imate bilo kakva druga pitanja, tu smo.",
    ],
    "EXCUSE": [
        "Trebali ste da proverite tabelu veličina.",
        "Vi ste trebali da nam javite na vreme.",
        "Trebalo je da navedete broj stana.",
        "Zaboravili ste da unesete broj stana.",
        "Niste naveli ispravnu adresu.",
        "Kao što sam već rekla, paket je poslat u ponedeljak.",
        "Kao što je ranije navedeno, povraćaj traje deset dana.",
        "Molim Vas da se smirite kako bismo mogli da razgovaramo.",
        "Tu porudžbinu je obrađivalo drugo odeljenje.",
        "Povraćaj troškova dostave nije u našoj nadležnosti.",
        "Ovo nije naša greška.",
        "To nije do nas.",
        "Mi nismo krivi za kašnjenje.",
        "Kurirska služba je kriva za kašnjenje.",
        "Greška je kurirske službe.",
        "Do kašnjenja je došlo zbog kurirske službe.",
        "Naš sistem je napravio grešku na Vašem računu.",
        "Došlo je do tehničke greške.",
        "Nastala je greška u našem sistemu.",
        "Nažalost, ne možemo ništa da uradimo u ovom trenutku.",
        "Tu se ništa ne može uraditi.",
        "Kašnjenje je bilo van naše kontrole.",
        "Radi se o okolnostima na koje ne možemo da utičemo.",
        "Zbog velikog broja upita, odgovaramo sporije.",
        "Zbog povećane tražnje isporuke kasne.",
    ],
    "POLICY": [
        "Politika kompanije je da ne vraćamo troškove dostave.",
        "Naša politika ne dozvoljava zamene posle 14 dana.",
        "To bi bilo protiv naših pravila.",
        "Pravila ne dozvoljavaju izuzetke.",
        "U skladu sa našom politikom, povraćaj nije moguć.",
        "Prema pravilima prodavnice, vraćeni proizvodi moraju biti neotvoreni.",
    ],
    "DEFLECTION": [
        "Molimo Vas da posetite naš sajt i preuzmete obrazac.",
        "Pogledajte našu stranicu za česta pitanja.",
        "Pozovite naš kontakt centar radnim danima od 9 do 17.",
        "Obratite se našem korisničkom servisu.",
        "Za to se obratite kurirskoj službi.",
        "Pošaljite nam ponovo broj porudžbine i adresu.",
        "Molimo Vas da nam još jednom pošaljete fotografije.",
        "Ponovite nam broj porudžbine.",
        "Popunite kontakt formular na sajtu.",
    ],
    "IMPERSONAL_APOLOGY": [
        "Izvinjavamo se zbog eventualnih neprijatnosti.",
        "Izvinjavamo se na neprijatnosti.",
        "Žao nam je zbog nastale neprijatnosti.",
        "Izvinite na neprijatnosti.",
        "Molimo Vas za razumevanje.",
    ],
    "UNFORTUNATELY_OPENER": [
        "Nažalost, Vašu porudžbinu nije moguće izmeniti.",
        "Na žalost, proizvoda trenutno nema na stanju.",
        "Нажалост, пакет је изгубљен.",
        "Nesrećom, paket je izgubljen.",
    ],
    "APOLOGY": [
        "Žao mi je zbog zabune.",
        "Iskreno mi je žao.",
        "Meni je zaista žao što se to dogodilo.",
        "Izvinjavam Vam se zbog pogrešne naplate.",
        "Извињавам се због кашњења.",
        "Ispričavam se zbog kašnjenja.",
        "Primite moje iskreno izvinjenje.",
        "Molim Vas da mi oprostite zbog ovog propusta.",
    ],
    "SATISFACTION": [
        "Da li Vam ovo rešenje odgovara?",
        "Odgovara li Vam ovakvo rješenje?",
        "Da li je ovo rešenje za Vas prihvatljivo?",
        "Da li Vam je ovo u redu?",
        "Molim Vas da mi napišete da li ste zadovoljni načinom na koji rešavam ovaj problem.",
        "Jeste li zadovoljni rešenjem?",
    ],
    "ACTION": [
        "Poslala sam Vam zamenu.",
        "Danas sam Vam vratio pogrešno naplaćen iznos.",
        "Još danas Vam šaljem ispravan proizvod.",
        "Pobrinuću se da kurir prvo pozove Vas.",
        "Broj za praćenje ću Vam poslati danas.",
        "Lično pratim Vašu pošiljku.",
    ],
}
