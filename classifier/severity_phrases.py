"""The phrases that make a complaint severe, per language, for :mod:`classifier.severity`.

Native speakers extend these lists; the scoring logic never needs to change for that.
"""

from __future__ import annotations

# --- Phrase lists, one block per language -----------------------------------------------------
# Keys: "legal", "chargeback", "cancel", "public", "repeat" (strong) and "repeat_weak".
# Write patterns in lower case and with their diacritics; they are folded like the text, so
# "ć" also matches a typed "c". A letter that folds to two ("đ"→"dj") must not sit inside a
# [character class]. Korean has no word boundaries: its particles attach to the noun, so its
# patterns are stems. Keep quantifiers bounded ({0,3}?) so a long body cannot make them slow.

# "I will", "we're going to", "I'll definitely", but not "I will not".
_EN_WILL = (
    r"\b(?:i|we)(?:'ll|\s+will|\s+shall|'m\s+going\s+to|\s+am\s+going\s+to|'re\s+going\s+to|"
    r"\s+are\s+going\s+to|'m\s+gonna|\s+am\s+gonna|'re\s+gonna)\s+(?:(?!not\b|never\b)\w+\s+){0,2}?"
)
# "I'm", "we are now".
_EN_NOW = r"\b(?:i'?m|i\s+am|we're|we\s+are)\s+(?:(?!not\b|never\b)\w+\s+){0,2}?"
_EN_ACCOUNT = (
    r"(?:my|our|the|this|your)\s+(?:\w+\s+)?(?:account|subscription|contract|membership|service|"
    r"plan|policy|card|broadband|line|package)s?\b"
)
_EN_PUBLIC_PLACE = (
    r"(?:social\s+media|twitter|facebook|instagram|tiktok|reddit|linkedin|youtube|trustpilot|yelp|"
    r"tripadvisor|google|(?:my\s+)?blog|the\s+internet|online|the\s+press|the\s+media|"
    r"the\s+news|newspapers?|journalists?|reporters?|tv|television|everyone|everybody|"
    r"all\s+my\s+\w+|my\s+followers|public(?:ly)?)\b"
)
_EN_BANK = (
    r"(?:my|the)\s+(?:bank|card\s+(?:issuer|company|provider)|credit\s+card\s+(?:company|issuer|"
    r"provider)|paypal|visa|mastercard|amex)\b"
)
_ENGLISH: dict[str, tuple[str, ...]] = {
    "legal": (
        _EN_WILL + r"(?:sue|take\s+(?:you|this|it|the\s+matter)\s+to\s+court|take\s+legal\s+"
        r"action|get\s+(?:my\s+)?lawyers?\s+involved)\b",
        _EN_NOW + r"(?:suing|taking\s+legal\s+action)\b",
        r"\bsue\s+(?:you|your|the\s+company|them)\b",
        r"\blegal\s+(?:action|proceedings|steps|measures|route|recourse)\b",
        r"\b(?:my|our|your|the)\s+(?:lawyers?|attorneys?|solicitors?|legal\s+(?:team|counsel|"
        r"department|advis[eo]r|representative))\b",
        # "a lawyer" only when getting one: "I am a lawyer" is no threat.
        r"\b(?:contact|hir|get|consult|involv|instruct|retain|engag|speak\w*\s+(?:to|with)|"
        r"talk\w*\s+(?:to|with))\w*\s+(?:a|an)\s+(?:lawyer|attorney|solicitor)s?\b",
        r"\b(?:see\s+you|take\s+(?:you|this|it|the\s+matter)|go(?:ing)?)\s+(?:to|in)\s+court\b",
        r"\bsmall[\s-]+claims\b",
        r"\bcourt\s+(?:case|action|claim)\b",
        r"\bconsumer\s+(?:protection|rights\s+(?:authority|agency|organi[sz]ation)|ombudsman|"
        r"council|affairs|watchdog)\b",
        r"\bombudsm[ae]n\b",
        r"\b(?:trading\s+standards|better\s+business\s+bureau|attorney\s+general|federal\s+trade"
        r"\s+commission|data\s+protection\s+authority|ftc|cfpb|ofcom|ofgem|bbb)\b",
        # "regulator" alone is also a part in a power supply.
        r"\b(?:report|complain|escalat|tak)\w*\s+(?:\w+\s+){0,3}?to\s+(?:the\s+)?(?:\w+\s+)?"
        r"(?:regulators?|authorities|police|ombudsman)\b",
        r"\b(?:financial|industry|telecoms?|energy|banking|aviation)\s+regulator\b",
        r"\bpolice\s+(?:report|complaint)\b",
        r"\b(?:call|contact|involv|inform|notify)\w*\s+the\s+police\b",
        r"\bwith\s+the\s+police\b",
    ),
    "chargeback": (
        r"\bcharge[\s-]?backs?\b",
        r"\b(?:disput|contest|revers|challeng)(?:e|es|ed|ing)?\s+(?:the\s+|this\s+|these\s+|my\s+|"
        r"a\s+|your\s+)?(?:\w+\s+)?(?:charges?|payments?|transactions?|debits?)\b",
        _EN_WILL + r"(?:contact|call|phone|ask|tell|go\s+to)\s+" + _EN_BANK,
        _EN_NOW + r"(?:contacting|calling|phoning|asking)\s+" + _EN_BANK,
        r"\b(?:open|file|raise)\w*\s+(?:a\s+)?(?:dispute|claim)\s+(?:with|on|through)\s+"
        r"(?:my\s+|the\s+)?(?:bank|paypal|visa|mastercard|amex|credit\s+card\s+company|"
        r"card\s+issuer)\b",
        r"\b(?:paypal|bank|card)\s+dispute\b",
    ),
    "cancel": (
        _EN_WILL + r"cancel\b",
        _EN_NOW + r"cancell?ing\b",
        _EN_WILL + r"(?:terminate|close|end|stop|quit)\s+" + _EN_ACCOUNT,
        _EN_NOW + r"(?:terminating|closing|ending|stopping|quitting)\s+" + _EN_ACCOUNT,
        r"\b(?:take|taking)\s+(?:my|our)\s+(?:\w+\s+)?(?:business|money|custom)\s+elsewhere\b",
        r"(?:"
        + _EN_WILL
        + r"(?:switch|move|go|change|transfer)|"
        + _EN_NOW
        + r"(?:switching|moving|going|changing|transferring))\s+(?:over\s+)?to\s+"
        r"(?:a\s+competitor|your\s+competitors?|the\s+competition|someone\s+else|(?:another|a\s+"
        r"different|a\s+new)\s+(?:provider|company|bank|supplier|carrier|network|operator|shop|"
        r"store|airline|service|retailer|insurer)s?)\b",
        _EN_WILL + r"leave\s+(?:you|your\s+(?:company|bank|service|network|store|shop))\b",
        _EN_NOW + r"leaving\s+(?:you|your\s+(?:company|bank|service|network|store|shop))\b",
        r"\blost\s+(?:a|another|me\s+as\s+a|your)\s+(?:\w+\s+)?customers?\b",
        r"\b(?:i|we)(?:'ll|\s+will)\s+never\s+(?:again\s+)?(?:order|buy|shop|purchase|book|fly|"
        r"use\s+you|deal\s+with\s+you)\b",
        r"\bthe\s+last\s+time\s+(?:i|we)\s+(?:ever\s+)?(?:order|buy|shop|use|book|fly)\b",
    ),
    "public": (
        # Not "go", "make" or "leave": "I'll go online", "I will make the payment online".
        _EN_WILL + r"(?:post|share|put|write|tweet|blog|publish|spread|expose|tell|shout|talk|"
        r"contact)\w*\s+(?:\w+\s+){0,5}?(?:on\s+|to\s+|all\s+over\s+|across\s+|with\s+|in\s+)?"
        + _EN_PUBLIC_PLACE,
        _EN_WILL + r"make\s+(?:this|it|all\s+(?:of\s+)?this|my\s+\w+|the\s+\w+)\s+public\b",
        _EN_NOW + r"(?:posting|sharing|writing|tweeting|contacting|telling|talking)\s+"
        r"(?:\w+\s+){0,5}?(?:on\s+|to\s+|all\s+over\s+|across\s+|with\s+|in\s+)?"
        + _EN_PUBLIC_PLACE,
        r"\b(?:contact|call|email|write\s+to|go\s+to|tip\s+off|alert)\s+(?:the\s+|local\s+)?"
        r"(?:press|media|newspapers?|journalists?|reporters?|tv\s+stations?)\b",
        r"\bgo(?:ing)?\s+public\b",
        r"\b(?:leav|writ|post|giv)(?:e|ing)\s+(?:you\s+)?(?:a\s+|an\s+)?(?:\w+\s+)?(?:bad|negative|"
        r"terrible|scathing|awful|horrible|1[\s-]?star|one[\s-]?star|zero[\s-]?star)\s+"
        r"(?:reviews?|ratings?)\b",
        r"\b(?:tell|warn)(?:ing)?\s+(?:everyone|everybody|all\s+my\s+(?:friends|family|followers|"
        r"colleagues|contacts)|my\s+followers|other\s+customers)\b",
    ),
    "repeat": (
        r"\b(?:third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|umpteenth|nth|\d+(?:rd|th))"
        r"\s+time\b",
        r"\b(?:for|is|it's|that's|now|already)\s+the\s+second\s+time\b",
        r"\b(?:second|third|fourth|fifth|\d+(?:nd|rd|th))\s+(?:email|e-mail|complaint|message|"
        r"request|call|attempt|reminder)\b",
        r"\bevery\s+single\s+time\b",
        r"\bhow\s+many\s+(?:more\s+)?times\b",
        r"\b(?:yet\s+again|again\s+and\s+again|over\s+and\s+over|time\s+after\s+time)\b",
        r"\bstill\s+(?:not|no|nothing|haven't|hasn't|have\s+not|has\s+not|isn't|is\s+not|aren't|"
        r"doesn't|does\s+not|don't|didn't|can't|cannot|won't|waiting)\b",
        r"\b(?:several|multiple|many|numerous|countless|three|four|five|\d+)\s+times\s+(?:already|"
        r"now|before|so\s+far)\b",
    ),
    # "thanks again" and "please try again" are politeness, not a failure.
    "repeat_weak": (
        r"(?<!thanks )(?<!thank you )(?<!try )(?<!trying )\bagain\b",
        r"\bonce\s+more\b",
    ),
}

# Serbian, written once in Latin: Cyrillic text is transliterated before matching. Future tense
# comes as "otkazaću", "otkazat ću" and "ću otkazati"; the Croatian/Bosnian forms come along.
_SR_ACCOUNT = r"(?:račun|nalog|profil|karticu|pretplat|ugovor|broj|uslug|paket)\w*"
_SERBIAN: dict[str, tuple[str, ...]] = {
    "legal": (
        r"\btužb\w*",
        r"\btuž(?:iću|ićemo|imo\s+vas|im\s+vas)\b",
        r"\btužit\s+(?:ću|ćemo)\b",
        r"\b(?:ću|ćemo)\s+(?:vas\s+)?(?:tužiti|da\s+(?:vas\s+)?tuž(?:im|imo))\b",
        r"\b(?:advokat|odvjetnik)\w*",
        r"\b(?:na|pred)\s+sud\b",
        r"\bsud(?:om|sk\w+)\b",
        r"\bzaštit\w*\s+potrošač\w*",
        r"\b(?:udruženj|organizacij|savez|centr)\w*\s+(?:za\s+zaštitu\s+)?potrošač\w*",
        r"\btržišn\w*\s+inspekcij\w*",
        r"\b(?:ombudsman\w*|zaštitnik\w*\s+građana)",
        r"\bkrivičn\w*\s+prijav\w*",
        r"\bprijav\w*\s+(?:\w+\s+){0,3}?(?:policij|inspekcij|ratel|narodnoj\s+banci)\w*",
        r"\b(?:zovem|zvaću|pozvaću|pozivam|zvat\s+ću)\s+policij\w*",
        r"\bpravn\w*\s+(?:put|korak|mer|mjer|postup)\w*",
    ),
    "chargeback": (
        r"\bčardžbek\w*",
        r"\bospor\w*\s+(?:\w+\s+){0,2}?(?:transakcij|uplat|plaćanj|naplat|zaduženj|terećenj)\w*",
        r"\b(?:obratiću\s+se|obratit\s+ću\s+se|obraćam\s+se|javiću\s+se|javljam\s+se|zvaću|pozvaću|"
        r"kontaktiraću|kontaktiram|prijaviću|reklamiraću|reklamiram)\s+(?:\w+\s+){0,3}?"
        r"(?:svojoj\s+|mojoj\s+|u\s+)?ban[kc]\w*",
        r"\b(?:vraćanj|povraćaj|storn)\w*\s+(?:\w+\s+){0,2}?(?:preko|kroz|putem)\s+ban[kc]\w*",
    ),
    "cancel": (
        r"\botkazuj(?:em|emo)\b",
        r"\botkaza(?:ću|ćemo)\b",
        r"\botkazat\s+(?:ću|ćemo)\b",
        r"\b(?:ću|ćemo)\s+(?:vam\s+|sve\s+|odmah\s+)?(?:otkazati|da\s+otkaž(?:em|emo))\b",
        r"\b(?:raskid(?:am|amo)|raskinu(?:ću|ćemo)|raskinut\s+(?:ću|ćemo)|(?:ću|ćemo)\s+(?:da\s+"
        r"raskin(?:em|emo)|raskinuti))\s+(?:\w+\s+)?(?:ugovor|pretplat|saradnj|suradnj)\w*",
        r"\b(?:gasi(?:m|mo)|ugasi(?:ću|ćemo)|zatvara(?:m|mo)|zatvori(?:ću|ćemo)|ukida(?:m|mo)|"
        r"ukinu(?:ću|ćemo))\s+(?:\w+\s+)?" + _SR_ACCOUNT,
        r"\b(?:prelazi(?:m|mo)|preći\s+(?:ću|ćemo)|preći(?:ću|ćemo)|prebacuje(?:m|mo)\s+se|"
        r"prebaci(?:ću|ćemo)\s+se|odlazi(?:m|mo)|ide(?:m|mo)|"
        r"(?:ću|ćemo)\s+(?:da\s+)?(?:pređ(?:em|emo)|odem|odemo))\s+(?:kod\s+|u\s+|na\s+)?"
        r"(?:konkurencij\w*|drug\w*\s+(?:operater|provajder|ban[kc]|firm|kompanij|prodavc|radnj|"
        r"dobavljač|mrež)\w*)",
        r"\b(?:nikad(?:a)?\s+više|više\s+nikad(?:a)?)\s+(?:neću\s+|ne\s+)?(?:kupiti|kupovati|"
        r"kupujem|naručiti|naručivati|naručujem|poručiti|poručivati|poručujem)\b",
        r"\bizgubili\s+ste\s+(?:\w+\s+)?(?:kupca|mušteriju|klijenta|korisnika|pretplatnika)\b",
    ),
    "public": (
        r"\b(?:objavi(?:ću|ćemo)|objavljuje(?:m|mo)|podeli(?:ću|ćemo)|napisa(?:ću|ćemo)|"
        r"okači(?:ću|ćemo)|postavi(?:ću|ćemo)|pisa(?:ću|ćemo)|(?:ću|ćemo)\s+(?:da\s+)?(?:objavi|"
        r"podeli|napiše|napisati|pisati|okači)\w*)\s+(?:\w+\s+){0,5}?(?:društven\w*\s+mrež|fejsbuk|"
        r"facebook|instagram|tviter|twitter|tiktok|internet|forum|gugl|google|recenzij|novin|medij|"
        r"svuda|javnost)\w*",
        r"\b(?:javi(?:ću|ćemo)|obrati(?:ću|ćemo)\s+se|ide(?:m|mo)|otići\s+(?:ću|ćemo)|"
        r"kontaktira(?:ću|ćemo)|zva(?:ću|ćemo))\s+(?:\w+\s+){0,2}?(?:novinar|medij|novin|televizij)"
        r"\w*",
        r"\b(?:ostavi(?:ću|ćemo)|napisa(?:ću|ćemo)|da(?:ću|ćemo))\s+(?:\w+\s+)?(?:loš|negativn)\w*"
        r"\s+(?:recenzij|ocen|komentar|utis)\w*",
        r"\b(?:reći\s+(?:ću|ćemo)|reći(?:ću|ćemo)|ispriča(?:ću|ćemo)|upozori(?:ću|ćemo))\s+"
        r"(?:\w+\s+)?(?:svima|svakome|celom\s+svetu|cijelom\s+svijetu|prijateljima|drugima)\b",
        r"\bneka\s+(?:svi|ceo\s+svet)\s+(?:zna|znaju|sazna|saznaju)\b",
    ),
    "repeat": (
        r"\b(?:treći|četvrti|peti|šesti|sedmi|deseti|n-ti|ko\s+zna\s+koji)\s+put\b",
        r"\b(?:po|već)\s+drugi\s+put\b",
        r"\bkoliko\s+(?:još\s+)?puta\b",
        r"\bsvaki\s+(?:prokleti\s+)?put\b",
        r"\b(?:opet\s+i\s+opet|iznova\s+i\s+iznova|ponovo\s+i\s+ponovo)\b",
        r"\b(?:i\s+dalje|još\s+uv(?:e|ije)k|još)\s+(?:ni(?:je|su|sam|ste|smo)|ne|nema|ništa|"
        r"čekam)\b",
        r"\b(?:više|nekoliko|mnogo|bezbroj)\s+puta\b",
    ),
    "repeat_weak": (r"\b(?:opet|ponovo|ponovno)\b", r"\bjoš\s+jednom\b"),
}

_SL_ACCOUNT = r"(?:pogodb|naročnin|račun|profil|paket|storit|sodelovanj)\w*"
_SL_PUBLIC_PLACE = (
    r"(?:družbenih\s+omrežjih|družbena\s+omrežja|facebook|instagram|forum|splet|internet|medij|"
    r"novinar|vsem\b|google|javnost)\w*"
)
_SLOVENIAN: dict[str, tuple[str, ...]] = {
    "legal": (
        r"\btožb\w*",
        r"\btož(?:il|ila|ili|im|imo)\b",
        r"\bodvetni\w*",
        r"\bsodišč\w*",
        r"\b(?:zvez|združenj|varstv|zaščit)\w*\s+(?:\w+\s+)?potrošnik\w*",
        r"\bvaruh\w*\s+(?:človekovih\s+)?pravic\w*",
        r"\b(?:inšpektorat|inšpekcij)\w*",
        r"\bkazensk\w*\s+ovadb\w*",
        r"\bprijav\w*\s+(?:\w+\s+){0,3}?(?:polici|akos)\w*",
        r"\bpravn\w*\s+(?:pot|korak|ukrep)\w*",
        r"\bakos\b",
    ),
    "chargeback": (
        r"\b(?:izpodbij|reklamir|storn)\w*\s+(?:\w+\s+){0,3}?(?:plačil|transakcij|bremenit)\w*",
        r"\b(?:obrnil|poklical|kontaktiral)[aie]?\s+(?:se\s+)?bo(?:m|mo)\s+(?:\w+\s+)?"
        r"(?:na\s+|v\s+)?(?:svoj\w*\s+|moj\w*\s+)?bank\w*",
        r"\bbo(?:m|mo)\s+(?:se\s+)?(?:obrnil|poklical|kontaktiral)[aie]?\s+(?:na\s+|v\s+)?"
        r"(?:svoj\w*\s+|moj\w*\s+)?bank\w*",
    ),
    "cancel": (
        r"\bodpoveduje(?:m|mo)\b",
        r"\bodpovedal[aie]?\s+bo(?:m|mo)\b",
        r"\bbo(?:m|mo)\s+(?:\w+\s+)?odpovedal[aie]?\b",
        r"\b(?:zaprl|prekinil|ukinil)[aie]?\s+bo(?:m|mo)\s+(?:\w+\s+)?" + _SL_ACCOUNT,
        r"\bbo(?:m|mo)\s+(?:\w+\s+)?(?:zaprl|prekinil|ukinil)[aie]?\s+(?:\w+\s+)?" + _SL_ACCOUNT,
        r"\b(?:grem|gremo|prehajam|prehajamo|prestopam|prestopamo|selim\s+se|selimo\s+se|"
        r"(?:prestopil|prešel|prešl|šel|šl|odšel|odšl)[aie]?\s+bo(?:m|mo)|"
        r"bo(?:m|mo)\s+(?:prestopil|prešel|prešl|šel|šl|odšel|odšl)[aie]?)\s+(?:\w+\s+)?[hk]\s+"
        r"(?:konkurenc\w*|drug\w*)",
        r"\b(?:zamenjal[aie]?\s+bo(?:m|mo)|bo(?:m|mo)\s+zamenjal[aie]?)\s+(?:\w+\s+)?(?:ponudnik|"
        r"operater|bank|trgovin|dobavitelj)\w*",
        r"\bnikoli\s+več\s+(?:ne\s+bo(?:m|mo)\s+)?(?:kupil|naročil|kupoval|naročal|kupujem|naročam)"
        r"\w*",
        r"\bizgubili\s+ste\s+(?:\w+\s+)?(?:stranko|kupca|naročnika|uporabnika)\b",
    ),
    "public": (
        r"\b(?:objavil|napisal|delil|povedal|obvestil)[aie]?\s+bo(?:m|mo)\s+(?:\w+\s+){0,5}?"
        + _SL_PUBLIC_PLACE,
        r"\bbo(?:m|mo)\s+(?:\w+\s+){0,2}?(?:objavil|napisal|delil|povedal|obvestil)[aie]?\s+"
        r"(?:\w+\s+){0,5}?" + _SL_PUBLIC_PLACE,
        r"\b(?:dal|napisal|pustil)[aie]?\s+bo(?:m|mo)\s+(?:\w+\s+)?(?:slab|negativn)\w*\s+"
        r"(?:ocen|mnenj|recenzij)\w*",
        r"\b(?:opozoril|povedal)[aie]?\s+bo(?:m|mo)\s+(?:\w+\s+)?(?:vse|vsem|prijatelje|druge)\b",
    ),
    "repeat": (
        r"\b(?:že\s+)?(?:tretjič|četrtič|petič|šestič|desetič|n-tič)\b",
        r"\bže\s+drugič\b",
        r"\b(?:kolikokrat|vsakič)\b",
        r"\b(?:spet\s+in\s+spet|znova\s+in\s+znova|vedno\s+znova)\b",
        r"\bše\s+vedno\s+(?:ni|ne|nisem|niste|nima|nimam|nič|čakam|brez)\b",
        r"\b(?:večkrat|nekajkrat|neštetokrat|velikokrat)\b",
    ),
    "repeat_weak": (r"\b(?:spet|ponovno|znova)\b", r"\bše\s+enkrat\b"),
}

_POLISH: dict[str, tuple[str, ...]] = {
    "legal": (
        r"\bpoz(?:ew|wu|wem|wy|wę|wiemy|wać)\b",
        r"\b(?:do|w|przed)\s+sąd(?:u|zie|em)?\b",
        r"\bsądow\w*",
        r"\b(?:prawnik|adwokat|kancelari)\w*",
        r"\bradc\w*\s+prawn\w*",
        r"\buokik\w*",
        r"\brzecznik\w*\s+(?:praw\s+)?(?:konsument|finansow)\w*",
        r"\bprokuratur\w*",
        r"\bzawiadomieni\w*\s+o\s+(?:popełnieniu\s+)?przestępstw\w*",
        r"\b(?:zgłosz|zgłasz|powiadomi|zawiadomi)\w*\s+(?:\w+\s+){0,3}?(?:na\s+)?policj\w*",
        r"\bna\s+policj[eę]\b",
        r"\b(?:drog[ąę]|krok\w*)\s+(?:prawn|sądow)\w*",
        r"\buke\b",
    ),
    "chargeback": (
        r"\bobciążeni\w*\s+zwrotn\w*",
        r"\b(?:zakwestionuj|kwestionuj|podważ|cofn|wycof)\w*\s+(?:\w+\s+){0,2}?"
        r"(?:płatnoś|transakcj|obciążeni|przelew)\w*",
        r"\b(?:zgłoszę|zgłosimy|zgłaszam|złożę|złożymy|składam|zwrócę\s+się|zwrócimy\s+się|"
        r"reklamuj(?:ę|emy))\s+(?:\w+\s+){0,4}?(?:do|w)\s+"
        r"(?:moim\s+|mojego\s+|swoim\s+|swojego\s+)?bank\w*",
    ),
    "cancel": (
        r"\bz?rezygnuj(?:ę|emy)\b",
        r"\b(?:wypowi(?:em|emy|adam|adamy)|rozwiąż(?:ę|emy)|rozwiązuj(?:ę|emy)|zerw(?:ę|iemy)|"
        r"zrywam|zrywamy)\s+(?:\w+\s+)?(?:umow|kontrakt|abonament|współprac)\w*",
        r"\b(?:zamkn(?:ę|iemy)|zamykam|zamykamy|zlikwiduj(?:ę|emy)|likwiduj(?:ę|emy)|"
        r"usun(?:ę|iemy)|usuwam)\s+(?:\w+\s+)?"
        r"(?:kont(?:o|a|em)\b|rachun\w*|subskrypcj\w*|abonament\w*)",
        r"\b(?:odchodzę|odchodzimy|odejdę|odejdziemy|przechodzę|przechodzimy|przejdę|przejdziemy|"
        r"przeniosę\s+się|przeniesiemy\s+się|przenoszę\s+się|przenosimy\s+się)\s+(?:\w+\s+)?"
        r"(?:do|na)\s+(?:konkurencj\w*|kogoś\s+innego|inn\w+\s+(?:operator|sieci|bank|firm|sklep|"
        r"dostawc|sprzedawc|usługodawc)\w*)",
        r"\bzmieni(?:ę|my)\s+(?:\w+\s+)?(?:operator|bank|dostawc|sklep|firm|sieć|usługodawc)\w*",
        r"\bnigdy\s+więcej\s+(?:\w+\s+){0,3}?(?:kupię|zamówię|skorzystam|kupimy|zamówimy|"
        r"skorzystamy)\b",
        r"\bstracil(?:iście|i\s+państwo)\s+(?:\w+\s+)?klient\w*",
        r"\banuluj(?:ę|emy)\s+(?:\w+\s+)?(?:subskrypcj|abonament|umow|członkostw)\w*",
    ),
    "public": (
        r"\bnagłośni(?:ę|my)\b",
        r"\b(?:opisz(?:ę|emy)|opublikuj(?:ę|emy)|napisz(?:ę|emy)|wrzuc(?:ę|imy)|udostępni(?:ę|my)|"
        r"opowiem)\s+(?:\w+\s+){0,5}?(?:medi|społecznościow|facebook|fb\b|forum|forach|internec|"
        r"sieci|google|dziennikarz|telewizj|tvn|pras|gazet)\w*",
        r"\b(?:wystawi(?:ę|my)|zostawi(?:ę|my)|napisz(?:ę|emy)|dam|dodam)\s+(?:\w+\s+)?(?:negatywn|"
        r"złą|złe|fataln)\w*\s+(?:opini|recenzj|ocen|komentarz)\w*",
        r"\b(?:powiem|opowiem|ostrzegę)\s+(?:o\s+tym\s+)?(?:wszystkim|innym|znajomym|innych)\b",
    ),
    "repeat": (
        r"\b(?:trzeci|czwarty|piąty|szósty|dziesiąty|kolejny|enty|któryś)\s+raz\b",
        r"\bpo\s+raz\s+(?:drugi|trzeci|czwarty|piąty|kolejny|enty|\d+)\b",
        r"\bjuż\s+drugi\s+raz\b",
        r"\bile\s+(?:jeszcze\s+)?razy\b",
        r"\bza\s+każdym\s+razem\b",
        r"\b(?:nadal|wciąż|dalej|ciągle)\s+(?:nie|nic|brak|czekam)\b",
        r"\b(?:wielokrotnie|kilkukrotnie|kilkakrotnie|wiele\s+razy|kilka\s+razy)\b",
    ),
    "repeat_weak": (r"\b(?:znowu|znów|ponownie)\b", r"\bjeszcze\s+raz\b"),
}

# Korean: "또" and "다시" start many ordinary words ("또한", "또는"), so they stand alone here.
_KO_WILL = r"(?:하겠|할\s*(?:게|께|거|겁|것|예정|생각)|합니다|하렵니다)"
_KOREAN: dict[str, tuple[str, ...]] = {
    "legal": (
        r"소송",
        r"변호사",
        # "고소하다" is also "savoury": only the suing forms.
        r"고소\s*(?:하겠|할\s*(?:게|께|거|겁|것|예정)|장|를|도\s*불사|하려고)",
        r"고발\s*(?:하겠|할\s*(?:게|께|거|겁|것|예정)|장|합니다)",
        r"법적\s*(?:조치|대응|절차|책임|소송)",
        r"소비자\s*(?:원|보호원|단체)",
        r"공정위|공정\s*거래\s*위원회|방통위|방송\s*통신\s*위원회|금감원|금융\s*감독원|법원",
        r"경찰서?(?:에|에다)?\s*(?:신고|고소|고발|진정)",
        r"형사\s*(?:고소|고발|처벌)",
    ),
    "chargeback": (
        r"차지\s*백",
        r"(?:카드사|은행|페이팔|결제사)(?:에|에다|쪽에|측에)?\s*(?:[^\s]+\s+)?(?:이의\s*제기|"
        r"이의\s*신청|민원|신고|지급\s*정지)",
        r"결제\s*(?:이의\s*제기|이의\s*신청)",
        r"지급\s*정지",
    ),
    "cancel": (
        r"(?:해지|해약|탈퇴)\s*" + _KO_WILL,
        r"(?:다른|타)\s*(?:통신사|업체|회사|은행|곳|쇼핑몰|가게|서비스|카드사|보험사|브랜드)\s*(?:으로|로)"
        r"\s*(?:옮기|옮길|옮겨|갈아타|갈아탈|갈아탑|바꾸|바꿀|바꿔|바꿉|이동하|이동할|넘어가|넘어갈)",
        r"(?:타사|경쟁사)\s*(?:으로|로)\s*(?:옮기|옮길|옮겨|갈아타|갈아탈|바꾸|바꿀|바꿔|이동|넘어가)",
        r"다시는\s*(?:[^\s]+\s+){0,3}?(?:이용|구매|주문|거래|구입|안\s*(?:쓰|쓸|써|사|살|삽|시키))",
    ),
    "public": (
        r"(?:인터넷|온라인|커뮤니티|sns|유튜브|블로그|카페|네이버|트위터|페이스북|인스타그?램?|게시판)"
        r"(?:에|에다|에도|에다가)?\s*(?:[^\s]+\s+){0,2}?(?:올리|올릴|올려|퍼뜨리|퍼트리|공유하|공유할|알리|"
        r"알릴|폭로)",
        r"(?:언론|방송국?|기자|뉴스|신문사?|매스컴)(?:에|에다|사에|한테|들에게|에게)?\s*(?:[^\s]+\s+)?"
        r"(?:제보|알리|알릴|연락|보도|고발|넘기)",
        r"제보\s*" + _KO_WILL,
        r"(?<!좋은 )(?<!좋은)(?:리뷰|후기|평점|별점)(?:를|을|에|로|도)?\s*(?:[^\s]+\s+)?(?:남기겠|"
        r"남길\s*(?:게|께|거|겁)|쓰겠|쓸\s*(?:게|께|거|겁)|올리겠|올릴\s*(?:게|께|거|겁)|작성하겠)",
        r"(?:안\s*좋은|나쁜|부정적인|최악의?)\s*(?:리뷰|후기|평가|평점)",
        r"별점\s*(?:테러|1\s*점|한\s*개|1\s*개)|악평",
    ),
    "repeat": (
        r"(?:세|네|다섯|여섯|일곱|여덟|아홉|열|몇|\d+)\s*번\s*째",
        r"(?:벌써|이번이|이게)\s*두\s*번\s*째",
        r"두\s*번\s*째\s*(?:문의|연락|전화|메일|요청|항의|불만|민원)",
        r"몇\s*번(?:이나|을)?\s*(?:말|연락|전화|문의|요청|얘기|이야기|항의)",
        r"매번|번번이|또\s*다시|아직도|여러\s*(?:번|차례)|수차례",
        r"여전히\s*(?:안|않|없|못)",
    ),
    "repeat_weak": (r"(?<![가-힣])또(?=[\s,.!?])", r"한\s*번\s*더|다시\s*한\s*번"),
}

# Romanian. "voi" is both "I will" and "you (plural)"; both readings are fine in these phrases.
_RO_WILL = r"(?:voi|vom|o\s+să|am\s+să)"
_ROMANIAN: dict[str, tuple[str, ...]] = {
    "legal": (
        r"\bîn\s+judecată\b",
        # Not "instanț\w*": folded, it would be English "instant".
        r"\binstanț(?:a|ă|ei|e)\b",
        r"\b(?:tribunal|judecători|avocat|parchet)\w*",
        r"\b(?:anpc|ancom)\b",
        r"\bprotecți\w*\s+consumator\w*",
        r"\bplânger\w*\s+(?:penal\w*|la\s+poliți(?:a|e)|la\s+anpc|la\s+ancom|la\s+asf)",
        # Not "poliți\w*": folded, it would be "politica" (the return policy).
        r"\bpoliți(?:a|e|ei)\b",
        r"\b(?:demers|acțiun|acțiuni|măsuri|pași)\w*\s+(?:legal|juridic)\w*",
        r"\bsesiz\w*\s+(?:\w+\s+){0,2}?(?:anpc|ancom|asf|bnr|autoritățil\w*)",
    ),
    "chargeback": (
        r"\bcontest\w*\s+(?:\w+\s+){0,2}?(?:plat|tranzacți|debitar)\w*",
        r"\b(?:mă\s+adresez|mă\s+voi\s+adresa|apelez\s+la|voi\s+apela\s+la|contactez|"
        r"voi\s+contacta|o\s+să\s+contactez|sun\s+la|voi\s+suna\s+la|merg\s+la|"
        r"voi\s+merge\s+la)\s+(?:\w+\s+)?"
        r"(?:banc|bănc|emitent)\w*",
        r"\bstorn\w*\s+(?:\w+\s+)?(?:plat|tranzacți|sum)\w*",
        r"\b(?:recuperez|recupera|cer)\s+banii\s+(?:\w+\s+)?(?:prin|de\s+la)\s+banc\w*",
    ),
    "cancel": (
        r"\b(?:reziliez|reziliem|" + _RO_WILL + r"\s+(?:\w+\s+)?(?:rezilia|reziliez|reziliem))\b",
        r"\b(?:renunț|renunțăm|(?:voi|vom)\s+renunța|(?:o|am)\s+să\s+renunț(?:ăm)?)\s+la\s+"
        r"(?:\w+\s+)?(?:abonament|servici|contract|cont|card|voi\b|dumneavoastră|firm|"
        r"colaborare)\w*",
        r"\b(?:închid|închidem|anulez|anulăm|(?:voi|vom)\s+(?:închide|anula)|(?:o|am)\s+să\s+"
        r"(?:închid|anulez|anulăm|închidem))\s+(?:\w+\s+)?(?:contul|abonamentul|contractul|cardul|"
        r"serviciul|serviciile)\b",
        r"\b(?:trec|trecem|mă\s+mut|ne\s+mutăm|plec|plecăm|(?:voi|vom)\s+(?:trece|muta|pleca)|"
        r"(?:o|am)\s+să\s+(?:trec|trecem|mă\s+mut|plec|plecăm))\s+(?:\w+\s+)?(?:la|către|spre)\s+"
        r"(?:concurență|(?:alt|altă|o\s+altă|un\s+alt)\s+(?:operator|furnizor|bancă|banca|companie|"
        r"firmă|magazin)\w*)",
        r"\bnu\s+(?:voi\s+)?mai\s+(?:cumpăr|comand|apela|folosi)\w*\s+(?:\w+\s+)?(?:niciodată|"
        r"de\s+la\s+voi|nimic)",
        r"\bniciodată\s+nu\s+(?:voi\s+)?mai\s+(?:cumpăr|comand|apela|folosi)\w*",
        r"\bați\s+pierdut\s+(?:\w+\s+)?client\w*",
    ),
    "public": (
        r"\b" + _RO_WILL + r"\s+(?:posta|postez|postăm|scrie|scriu|scriem|publica|public|publicăm|"
        r"povesti|povestesc|spune|spun|distribui|anunța|anunț|contacta|contactez|"
        r"merge|merg)\s+(?:\w+\s+){0,5}?(?:pe\s+|la\s+|în\s+)?(?:rețel\w*\s+social\w*|"
        r"social\s+media|facebook\w*|instagram\w*|tiktok\w*|internet|online|forum\w*|google\w*|"
        r"pres(?:a|ă|ei)|"
        r"jurnaliș\w*|ziar\w*|televiziun\w*|tv|media|tuturor|toată\s+lumea|public(?:ă|ului)?)\b",
        r"\b(?:las|lăsa|lăsăm|scriu|scrie|scriem|dau|dăm|pun|pune)\s+(?:o\s+|un\s+)?(?:recenzi|"
        r"review|păreri|comentari|not[ăa])\w*\s+(?:foarte\s+)?(?:negativ|proast)\w*",
        # "face" only with "public": "voi face plata online" is paying.
        r"\b(?:(?:voi|vom|o\s+să|am\s+să)\s+face|fac|facem)\s+(?:\w+\s+)?public(?:ă|ul|e)?\b",
        r"\btoată\s+lumea\s+(?:va\s+afla|să\s+afle|o\s+să\s+afle)\b",
    ),
    "repeat": (
        r"\ba\s+(?:treia|patra|cincea|șasea|zecea|câta|n-a)\s+oară\b",
        r"\b(?:pentru|este|e|deja)\s+a\s+doua\s+oară\b",
        r"\bde\s+(?:fiecare\s+dată|câte\s+ori)\b",
        r"\b(?:încă|tot|nici\s+acum)\s+(?:nu\b|n-|nimic\b)",
        r"\b(?:iar\s+și\s+iar|din\s+nou\s+și\s+din\s+nou)\b",
        r"\bde\s+(?:trei|patru|cinci|mai\s+multe|nenumărate|multe|atâtea)\s+ori\b",
    ),
    # Not "iar" alone: it is also the conjunction "and/while".
    "repeat_weak": (r"\b(?:din\s+nou|iarăși|încă\s+o\s+dată)\b",),
}

LANGUAGES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": _ENGLISH,
    "sr": _SERBIAN,
    "sl": _SLOVENIAN,
    "pl": _POLISH,
    "ko": _KOREAN,
    "ro": _ROMANIAN,
}
