"""Polish phrases for the recovery lint (patterns on folded text; see the package docstring)."""

LANGUAGE = "pl"

# Address forms in folded text: "Pan/Pani", "Pana/Panią" and "Panu/Pani" in any of their forms.
_YOU = r"(pan|pani|pana|pania|panu|panstwo|panstwa|panstwu)(/(pani|pania))?"

# "Czy mogę jeszcze w czymś pomóc?" closes the conversation instead of checking the outcome.
ANYTHING_ELSE = [
    r"\bczy (moge|mozemy|moglbym|moglabym|moglibysmy) (jeszcze )?(w czyms|czyms|cos) (jeszcze |innym |innego |wiecej )?(dla \S+ )?(pomoc|zrobic|sluzyc)\b",
    r"\bczy (moge|mozemy) (jeszcze )?(pomoc|sluzyc) (w czyms|czyms) (jeszcze|innym|wiecej)\b",
    r"\bczy (jest |jeszcze jest )?(cos|cokolwiek) (jeszcze|innego|wiecej),? (w czym|co) (moge|mozemy|moglbym|moglabym|moglibysmy)\b",
    r"\bczy (cos|w czyms|czyms) (jeszcze|innego|wiecej) (moge|mozemy)\b",
    r"\b(w czym|co) (jeszcze|wiecej) (moge|mozemy|moglbym|moglabym|moglibysmy) (dla \S+ )?(pomoc|zrobic|sluzyc)\b",
    r"\b(jesli|jezeli|gdyby) (moge|mozemy|moglbym|moglabym|moglibysmy) (jeszcze )?(w czyms|czyms|cos) (jeszcze |wiecej )?(pomoc|zrobic|sluzyc)\b",
    r"\b(jesli|jezeli|gdyby)\b[^.?!]{0,30}\bpotrzebowa\w*\b[^.?!]{0,25}\b(czegos|czegokolwiek) (jeszcze|wiecej|innego)\b",
    r"\b(jesli|jezeli|gdyby)\b[^.?!]{0,40}\b(czegos|czegokolwiek) (jeszcze|wiecej|innego)\b[^.?!]{0,25}\bpotrzebowa",
    r"\bw razie (jakichkolwiek )?(dalszych|dodatkowych|innych) (pytan|potrzeb|watpliwosci)\b",
]

# Excuses, blame and the phrases that make things worse (service-recovery.md).
EXCUSE = [
    rf"\bpowin(ien|na|ni) {_YOU} (byl|byla|byli)\b",
    rf"\b{_YOU} powin(ien|na|ni) (byl|byla|byli)\b",
    r"\b(powinienes|powinnas|powinniscie) (byl|byla|byli)\b",
    r"\b(nalezalo|trzeba bylo) (wczesniej |najpierw |od razu )?(sprawdzic|podac|zaznaczyc|przeczytac|wpisac|zglosic|zapoznac sie)\b",
    rf"\b(zapomnial|zapomniala|zapomnieli|nie podal|nie podala|nie podali|nie wpisal|nie wpisala|nie zaznaczyl|nie zaznaczyla) {_YOU}\b",
    rf"\b{_YOU} (zapomnial|zapomniala|zapomnieli|nie podal|nie podala|nie podali|nie wpisal|nie wpisala|nie zaznaczyl|nie zaznaczyla)\b",
    r"\bjak (juz |wczesniej |uprzednio )?(wspominal|pisal|mowil|informowal|wyjasnial|tlumaczyl)(em|am|ismy|ysmy)\b",
    r"\bjak (juz |wczesniej |uprzednio )?(wspomniano|informowano|wyjasniono|pisano|zaznaczono)\b",
    r"\bprosze (sie )?uspokoic\b",
    rf"\bniech (sie )?{_YOU} (sie )?uspokoi\b",
    r"\bprosze zachowac spokoj\b",
    r"\b(inny|innego|innym) (dzial|dzialu|dzialem)\b",
    r"\bnie (jest )?w (gestii|kompetencjach) (naszego|mojego) (dzialu|zespolu)\b",
    r"\bto nie (jest )?(nasza|moja) wina\b",
    r"\bnie z naszej winy\b",
    r"\bnie ponosimy (za to |za )?(zadnej )?odpowiedzialnosci\b",
    r"\b(z winy|wina|po stronie) (kuriera|firmy kurierskiej|przewoznika|dostawcy|poczty|naszego partnera|operatora)\b",
    r"\bwine ponosi (kurier|firma kurierska|przewoznik|dostawca|poczta|nasz partner|operator)\b",
    r"\b(spowodowane|spowodowana|spowodowany|wynika) (bylo |byla |byl |jest )?(przez|z bledu) (kuriera|firme kuriersk\w*|firmy kurierskiej|przewoznika|dostawce|dostawcy|poczte|poczty)\b",
    r"\b(nasz )?system (popelnil blad|zawiodl|sie zawiesil|mial awarie|nie zadzialal|byl niedostepny)\b",
    r"\b(z powodu |przez )(blad|bledu|awari\w*) (naszego )?systemu\b",
    r"\b(wystapil|doszlo do) (blad|bledu) (systemowy|systemowego|systemu)\b",
    r"\bnic (wiecej )?nie (mozemy|moge|da sie) (zrobic|poradzic)\b",
    r"\bnie (mozemy|moge|jestesmy w stanie|jestem w stanie) (nic|niczego) (wiecej )?(zrobic|poradzic)\b",
    r"\bnie mamy (na to )?(zadnego )?wplywu\b",
    r"\b(od nas niezalezn\w*|niezalezn\w* od nas)\b",
    r"\b(z powodu|ze wzgledu na|w zwiazku z) (duz\w*|zwiekszon\w*|wzmozon\w*|ogromn\w*|rekordow\w*) (liczb\w*|ilosc\w*|obloz\w*|ruch\w*|zainteresowani\w*)\b",
]

POLICY = [
    r"\bpolityk\w* (firmy|sklepu|naszej firmy|naszego sklepu|firmow\w*)\b",
    r"\bnasz\w* polityk\w*\b(?! (prywatnosci|ochrony danych|cookies))",
    r"\b(zgodnie z|wedlug|w mysl) (naszym |naszymi |obowiazujacym |obowiazujacymi |firmowymi )?(regulaminem|regulaminu|procedurami|procedur)\b",
    r"\b(zgodnie z|wedlug|w mysl) zasad(ami)? (firmy|sklepu|naszej firmy|naszego sklepu)\b",
    r"\b(regulamin|polityka|procedury|zasady) (firmy |sklepu |naszej firmy |naszego sklepu )?nie (pozwala|pozwalaja|przewiduje|przewiduja|dopuszcza|dopuszczaja|zezwala|zezwalaja)\b",
    r"\bniezgodn\w* z (naszym |naszymi )?(regulaminem|procedurami|zasadami)\b",
]

# Sending the customer away to solve it themselves, or asking them to repeat what we have.
DEFLECTION = [
    r"\b(prosze|prosimy|zapraszam|zapraszamy)( \w+){0,2} (odwiedzic|odwiedzenia|zajrzec|przejsc|zapoznac sie|zapoznania sie)\b[^.?!]{0,30}\b(stron\w*|faq|zakladk\w*|sekcj\w*|centrum pomocy)",
    r"\b(znajdzie|znajda|znajdziesz)\b[^.?!]{0,40}\b(na (naszej )?stronie|w zakladce|w sekcji|w faq|w centrum pomocy)\b",
    r"\b(prosze|prosimy|zapraszam|zapraszamy|nalezy)\b[^.?!]{0,25}\b(zadzwonic|zadzwonienia|skontaktowac sie|skontaktowania sie|kontakt)\b[^.?!]{0,25}\b(infolini\w*|call cent\w*|biur\w* obslugi|dzial\w* (reklamacji|obslugi)|kurier\w*|firm\w* kuriersk\w*|przewoznik\w*|producent\w*)",
    r"\b(prosze|prosimy)( o)? (ponownie|jeszcze raz|raz jeszcze|ponowne) (podac|przeslac|wyslac|opisac|podanie|przeslanie|wyslanie|opisanie)\b",
    r"\b(prosze|prosimy) (o )?(powtorzyc|powtorzenie)\b",
    r"\b(prosze|prosimy|nalezy|zapraszam|zapraszamy)( o| do)? (wypelnic|wypelnienie|wypelnienia|skorzystac z|skorzystania z) (naszego |nasz )?formularz\w*",
]

# "Przepraszamy za wszelkie niedogodności": sorry from nobody, about nothing in particular.
IMPERSONAL_APOLOGY = [
    r"\bprzepraszamy( serdecznie| bardzo| uprzejmie)? za (wszelkie |ewentualne |zaistniale |powstale |wynikle |mozliwe |te )*(niedogodnosc\w*|utrudnieni\w*|klopoty)",
    r"\bprzepraszam za (wszelkie|ewentualne|zaistniale|powstale|wynikle|mozliwe) (niedogodnosc\w*|utrudnieni\w*|klopoty)",
    r"\bza (wszelkie |ewentualne |zaistniale |powstale )?(niedogodnosci|utrudnienia) (serdecznie |bardzo |uprzejmie |najmocniej )?przepraszamy\b",
    r"\bprzeprasza(m|my) za (zaistniala|powstala) sytuacje\b",
    r"\b(firma|sklep|zespol|obsluga klienta) (\w+ )?przeprasza\b",
    r"\b(ubolewamy (nad|z powodu)|wyrazamy (glebokie )?ubolewanie)\b",
]

# Matched only at the very start of the reply, after the greeting.
UNFORTUNATELY_OPENER = [
    r"^niestety\b",
    r"^z (przykroscia|zalem|ubolewaniem) (informuj\w*|musz\w*|stwierdz\w*|zawiadamia\w*)\b",
]

# A first-person apology ("przepraszam", "przykro mi"), never the impersonal "przepraszamy".
APOLOGY = [
    r"\bprzepraszam\b",
    r"\b(jest )?mi (bardzo |naprawde |ogromnie |niezmiernie |szczerze )?przykro\b",
    r"\bprzykro mi\b",
    r"\bmoje (szczere |najszczersze |najglebsze |gorace )?przeprosiny\b",
    rf"\b(chce|chcialbym|chcialabym|pragne) ({_YOU} )?(bardzo |serdecznie |goraco |szczerze )?({_YOU} )?przeprosic\b",
]

# The close: does the solution work for the customer, are they satisfied with it?
SATISFACTION = [
    rf"\bczy (to|takie|moje|zaproponowane|proponowane) rozwiazanie (jest |bedzie )?(dla {_YOU} )?(satysfakcjonujace|zadowalajace|odpowiednie|w porzadku|do przyjecia|akceptowalne)\b",
    rf"\bczy (to|takie rozwiazanie|to rozwiazanie|zaproponowane rozwiazanie|moja propozycja|ta propozycja) {_YOU} (odpowiada|pasuje|satysfakcjonuje)\b",
    rf"\bczy (jest |sa |bedzie |beda )?{_YOU} (zadowolon|usatysfakcjonowan)\w*",
    rf"\bczy (ten |taki )?sposob\b[^.?!]{{0,60}}\b{_YOU} (odpowiada|satysfakcjonuje)\b",
]

# A concrete first-person action: what is being done, now ("wysyłam", "zwracam", "zleciłem").
# Folding turns "przekazuję" into "przekazuje" (also the third person), so those verbs count
# only at the start of a sentence or after "już", "osobiście", "jeszcze dziś" and the like.
ACTION = [
    r"\b(wysylam|zlecam|zwracam|przywracam|zamawiam|zglaszam|sprawdzam|zmieniam|naprawiam|wystawiam|uruchamiam|wszczynam|zalatwiam)\b",
    r"(^|[.!?;:] |\b(juz|osobiscie|dzis|dzisiaj|jutro|teraz|natychmiast|od razu) )(przekazuje|przejmuje|dodaje|realizuje|anuluje|koryguje|organizuje|dopilnuje|wysle|przesle|przekaze|napisze)\b",
    r"\b(zwroce|zalatwie|naprawie|sprawdze|potwierdze|zamowie|zadzwonie|oddzwonie|zadbam|przywroce|wymienie)\b",
    r"\b(zlecil|wyslal|zwrocil|przekazal|przywrocil|zamowil|zglosil|sprawdzil|dodal|zmienil|naprawil|wystawil|zorganizowal|skorygowal|uruchomil|zalatwil|dopilnowal|wymienil|anulowal)(em|am|ismy)\b",
    r"\b(wyslemy|zwrocimy|przeslemy|naprawimy|wymienimy|przywrocimy)\b",
]

# Words that introduce an order, booking or invoice number, as folded regexes; the number
# itself (with an optional "nr", "nr.", "#" or ":" before it) is matched by outbox.facts.
ORDER_WORDS = [
    r"zamowien",
    r"rezerwacj",
    r"faktur",
    r"faktur\w{0,2} vat",
    r"reklamacj",
    r"przesyl[kc]",
    r"pacz[kc]",
    r"listu? przewozow",
    r"(?:zamowien|rezerwacj|faktur|reklamacj|przesyl[kc]|pacz[kc])\w{0,4} numer",
]

# (sentence, the number outbox.facts must extract from it)
ORDER_EXAMPLES: list[tuple[str, str]] = [
    ("Moje zamówienie nr 4411 nadal nie dotarło.", "4411"),
    ("W zamówieniu numer A-99812 przyszedł zły rozmiar.", "A-99812"),
    ("Faktura VAT nr FV/2026/11/042 została wystawiona dwa razy.", "FV/2026/11/042"),
    ("Rezerwacja nr XK55Q1 zniknęła z mojego konta.", "XK55Q1"),
    ("Numer przesyłki: 00340434161234567890", "00340434161234567890"),
    ("Co z paczką 2026-0042?", "2026-0042"),
    ("Numer listu przewozowego 6123456789 nic nie pokazuje.", "6123456789"),
]

EXAMPLES: dict[str, list[str]] = {
    "ANYTHING_ELSE": [
        "Czy mogę jeszcze w czymś pomóc?",
        "Czy mogę coś jeszcze dla Pana zrobić?",
        "Czy możemy jeszcze czymś służyć?",
        "Czy mogę pomóc w czymś jeszcze?",
        "Czy jest coś jeszcze, w czym mogę pomóc?",
        "Czy coś jeszcze mogę dla Pani zrobić?",
        "W czym jeszcze mogę pomóc?",
        "Co jeszcze mogę dla Pana/Pani zrobić?",
        "Jeśli mogę w czymś jeszcze pomóc, proszę dać znać.",
        "Gdyby potrzebowała Pani czegoś jeszcze, jestem do dyspozycji.",
        "Jeśli będzie Pan czegoś jeszcze potrzebował, proszę pisać.",
        "W razie dodatkowych pytań pozostaję do dyspozycji.",
        "W razie jakichkolwiek dalszych pytań proszę o kontakt.",
    ],
    "EXCUSE": [
        "Powinna Pani była sprawdzić tabelę rozmiarów.",
        "Pan powinien był podać numer mieszkania.",
        "Powinieneś był to sprawdzić przed zakupem.",
        "Należało wcześniej zapoznać się z opisem produktu.",
        "Zapomniała Pani podać numer mieszkania.",
        "Pan/Pani nie podał(a) kodu pocztowego.",
        "Jak już wspominałem, paczka wyjechała w poniedziałek.",
        "Jak wcześniej wyjaśniono, zwrot trwa dziesięć dni.",
        "Proszę się uspokoić, wtedy porozmawiamy.",
        "Niech się Pan uspokoi.",
        "Proszę zachować spokój.",
        "Tym zamówieniem zajmował się inny dział.",
        "To nie jest w gestii naszego działu.",
        "To nie jest nasza wina.",
        "Opóźnienie powstało nie z naszej winy.",
        "Nie ponosimy za to odpowiedzialności.",
        "Błąd leży po stronie kuriera.",
        "Winę ponosi firma kurierska.",
        "Opóźnienie było spowodowane przez kuriera, który zgubił etykietę.",
        "Nasz system popełnił błąd przy wystawianiu faktury.",
        "Płatność nie przeszła z powodu błędu systemu.",
        "Wystąpił błąd systemowy.",
        "Nic więcej nie możemy zrobić.",
        "Nie jesteśmy w stanie nic zrobić w tej sprawie.",
        "Nie mamy na to wpływu.",
        "Opóźnienie wynikło z przyczyn od nas niezależnych.",
        "Z powodu dużej liczby zgłoszeń odpowiadamy z opóźnieniem.",
    ],
    "POLICY": [
        "Taka jest polityka firmy.",
        "Zgodnie z naszą polityką nie zwracamy kosztów wysyłki.",
        "Zgodnie z regulaminem zwrot jest możliwy tylko w ciągu 14 dni.",
        "Według zasad sklepu nie możemy przyjąć zwrotu.",
        "Regulamin sklepu nie przewiduje wymiany po 14 dniach.",
        "To byłoby niezgodne z naszymi procedurami.",
    ],
    "DEFLECTION": [
        "Prosimy odwiedzić naszą stronę internetową.",
        "Zapraszamy do zapoznania się z sekcją FAQ.",
        "Szczegóły znajdzie Pani na naszej stronie.",
        "Proszę zadzwonić na naszą infolinię w godzinach 9-17.",
        "Prosimy o kontakt bezpośrednio z firmą kurierską.",
        "Proszę ponownie podać numer zamówienia i adres.",
        "Prosimy o ponowne przesłanie zdjęć.",
        "Proszę powtórzyć, o co chodziło.",
        "Prosimy o wypełnienie formularza reklamacyjnego.",
    ],
    "IMPERSONAL_APOLOGY": [
        "Przepraszamy za wszelkie niedogodności.",
        "Przepraszam za ewentualne utrudnienia.",
        "Za zaistniałe niedogodności serdecznie przepraszamy.",
        "Przepraszamy za zaistniałą sytuację.",
        "Firma przeprasza za opóźnienie.",
        "Ubolewamy nad zaistniałą sytuacją.",
    ],
    "UNFORTUNATELY_OPENER": [
        "Niestety, nie możemy zmienić zamówienia.",
        "Niestety towar jest niedostępny.",
        "Z przykrością informujemy, że paczka zaginęła.",
    ],
    "APOLOGY": [
        "Przepraszam za pomyłkę.",
        "Bardzo Pana/Panią przepraszam.",
        "Bardzo mi przykro z powodu opóźnienia.",
        "Jest mi naprawdę przykro.",
        "Przykro mi, że tak się stało.",
        "Proszę przyjąć moje szczere przeprosiny.",
        "Chcę Panią serdecznie przeprosić.",
    ],
    "SATISFACTION": [
        "Czy to rozwiązanie jest dla Pana/Pani satysfakcjonujące?",
        "Czy takie rozwiązanie będzie dla Pani odpowiednie?",
        "Czy takie rozwiązanie Panu/Pani odpowiada?",
        "Czy jest Pan zadowolony z nowego terminu?",
        "Proszę o krótką odpowiedź, czy sposób, w jaki rozwiązuję tę sprawę, Panu/Pani odpowiada.",
    ],
    "ACTION": [
        "Jeszcze dziś wysyłam właściwy produkt.",
        "Zwracam błędnie pobraną kwotę.",
        "Przekazuję sprawę zespołowi.",
        "Osobiście przejmuję Pana sprawę.",
        "Prześlę numer przesyłki, a kwotę zwrócę jeszcze dziś.",
        "Dane do śledzenia jutro prześlę.",
        "Zleciłem wysyłkę nowego egzemplarza.",
        "Zwróciłam nadpłatę na Pani konto.",
        "Jutro wyślemy nowy produkt.",
    ],
}
