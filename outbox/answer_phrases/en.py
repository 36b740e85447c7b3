"""English phrases for reading a follow-up answer (patterns on folded text; see the package
docstring). Apostrophes are often left out ("doesnt", "id give"), so patterns allow both."""

LANGUAGE = "en"

YES = [
    r"^(yes|yeah|yep|yup|yes yes|sure|indeed|correct|affirmative|ok|okay)\b",
]

# "No problem(s)", "no complaints", "no more emails" and "no longer" are not a bare no; nor is
# the Polish "no tak" ("well, yes").
NO = [
    r"^(no|nope|nah|not really|not yet|not at all|not quite|negative)\b(?!,? (problems?|worries|issues?|complaints?|doubt|one|idea|need|way|matter|longer|more|tak|jasne)\b)",
]

POSITIVE = [
    r"\b(it|everything|all|that|this|it all|now it|now everything|the \w+|the new one|the new \w+)( now| finally| really| actually| all)?( works|'s working| is working| runs)\b",
    r"\b(works|working|worked|runs|running)( now| again| fine| well| perfectly| great| properly| like a charm| as it should| as expected)\b",
    r"\b(all|everything)('s| is)?( now)? (good|fine|sorted|ok|okay|working|well|great|perfect|in order|resolved|fixed|solved|as it should be)\b",
    r"\b(problem|issue|fault)( is| has been| was| got)? (solved|resolved|fixed|gone|sorted)\b",
    r"\b(it|that)('s| is| has been| was| got) (fixed|sorted|solved|resolved)\b",
    r"\b(it|the (replacement|new one|parcel|package|item|order|refund|money|new \w+))( has| finally| has finally| already)? (arrived|came|turned up|was delivered|has been delivered|got here)\b",
    r"\b(i|we)( have|'ve)?( finally| already)? (got|received|gotten) (it|the (replacement|new one|parcel|package|item|order|refund|money|new \w+))\b",
    r"\b(no|haven't had any|havent had any|never had any) (more |further )?(problems|issues|trouble)\b",
    r"\bi can (sign|log) in( again)?\b",
    r"^(works|working|fixed|sorted|solved|resolved|arrived|received)\b",
    r"\b(refund|money|replacement|parcel|package|new one)( has been| was| has)? (received|refunded|credited|arrived|delivered)\b",
    r"\bmoney (is )?back\b",
    r"\b(looks|seems) (good|fine|ok|okay|great|right|correct)\b",
]

NEGATIVE = [
    r"\b(doesn't|does not|doesnt|didn't|did not|didnt|don't|do not|dont|won't|will not|wont|can't|cannot|cant)( \w+){0,2}? (work|function|turn on|switch on|start|charge)\b",
    r"\b(isn't|is not|isnt|aren't|are not|arent|wasn't|was not|wasnt|not|never|stopped|still not|no longer)( \w+)? (working|functioning|fixed|solved|resolved|sorted)\b",
    r"\bno longer (works|functions|turns on)\b",
    r"\bstill (broken|faulty|defective|leaking|leaks|waiting|missing|the same|has the same|nothing|not here)\b",
    r"\b(hasn't|has not|hasnt|haven't|have not|havent|didn't|did not|didnt|never|still not|not yet)( yet| even| actually)? (arrived|come|came|been delivered|turned up|received|got it|gotten it)\b",
    r"\b(arrived|came|is|it's|still|again) (\w+ )?(broken|damaged|defective|faulty|cracked)\b",
    r"\bsame (problem|issue|fault|error|defect)\b",
    r"\b(problem|issue|fault) (persists|remains|is still there|is back|came back|has come back|returned)\b",
    r"\bnothing (has )?(arrived|come|changed)\b",
    r"\b(works|worked|working) (badly|poorly|only sometimes|intermittently)\b",
    r"\b(won't|will not|wont|doesn't|does not|doesnt) stop (?!working)\w+ing\b",
    r"\b(can't|cannot|cant|still can't|unable to) (sign|log) in\b",
]

SATISFIED = [
    r"\b(?<!would be )(?<!'d be )(?<!d be )((very|really|totally|completely|quite|fully|extremely|so) )?(satisfied|happy|pleased|delighted|thrilled)\b(?! (if|when|once|as soon as)\b)",
    r"^(perfect|excellent|great|brilliant|fantastic|amazing|awesome|wonderful|superb|lovely)\b",
    r"\b(couldn't|could not|couldnt) be (happier|more satisfied|more pleased)\b",
    r"\b(can't|cannot|cant|can not) complain\b",
    r"\bno complaints\b",
    r"\b(great|excellent|fantastic|amazing|perfect|quick|fast|brilliant|superb) (service|job|solution|support|help)\b",
]

DISSATISFIED = [
    r"\b(not|far from)( \w+){0,2}? (satisfied|happy|pleased|great|good|ok|okay|acceptable)\b",
    r"\b(dissatisfied|unsatisfied|unhappy|disappointed|disappointing|frustrated|annoyed|furious|angry|terrible|awful|horrible|unacceptable|disgusting|useless|ridiculous)\b",
]

OPT_OUT = [
    r"^(please,? )?(stop|unsubscribe|opt out)(,? please)?[.!]*$",
    r"\bunsubscribe\b",
    r"\b(please )?stop (e-?mailing|mailing|writing to|contacting|messaging|spamming|bothering|sending (me|us) (e-?mails|emails|messages|these|this))\b",
    r"\b(don't|do not|dont|never) (contact|e-?mail|write to|message) (me|us)\b",
    r"\bremove (me|my (e-?mail|address)|us) from (your|the|this) (list|mailing list|database)\b",
    r"\b(no more|i don't want any more|i do not want any more|i dont want any more) (e-?mails|messages|follow-?ups|surveys)\b",
    r"\bopt (me )?out\b",
    r"\bleave me alone\b",
]

RATING_CUES = [
    r"\b(rating|score|grade|(i'?d |i would |i )?rate (it|you|this|that|the \w+|you guys)|rated)\b[ :=-]*(is |would be |of |as |at |a |an |with )*{n}{end}",
    r"\b(give|giving|gave)( it| you| this| that| the \w+| you guys| them)?( a| an)? {n}{end}",
    r"{n} (out of|of|outta) {of}( stars?| points?)?{end}",
    r"{n}[ -]stars?\b",
    r"\b(i'?d|i would|i) say,? {n}{end}",
    r"\ba (solid|strong|clear|definite|firm|weak|generous) {n}{end}",
]

NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "ten": 10}

CONNECTIVES = [
    r"\bbut\b",
    r"\bhowever\b",
    r"\b(al)?though\b",
    r"\bbecause\b",
    r"\bexcept\b",
    r"\bapart from\b",
]

ABBREVIATIONS = [
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "nr", "tel", "ext", "ref", "approx", "vol", "st",
]  # fmt: skip

EXAMPLES: dict[str, list[str]] = {
    "YES": ["Yes.", "Yep, thanks", "OK"],
    "NO": ["No.", "Nope, nothing yet", "Not really.", "Not yet."],
    "POSITIVE": [
        "It works now, thank you.",
        "The new one is working.",
        "Working perfectly again.",
        "All good!",
        "Everything's fine now.",
        "The problem is solved.",
        "It's fixed.",
        "The replacement arrived yesterday.",
        "We received the refund.",
        "No more problems.",
        "I can log in again.",
        "Works, thanks.",
        "Refund received, thank you.",
        "The money is back in my account.",
        "The invoice looks right now.",
    ],
    "NEGATIVE": [
        "It still doesn't work.",
        "Still not working.",
        "It no longer works after one day.",
        "Still broken.",
        "It still hasn't arrived.",
        "The new one arrived damaged.",
        "Same problem as before.",
        "The problem persists.",
        "Nothing has arrived.",
        "It works only sometimes.",
        "It won't stop leaking.",
        "I still can't log in.",
    ],
    "SATISFIED": [
        "Very satisfied, thank you.",
        "Perfect, thanks!",
        "Couldn't be happier.",
        "Can't complain.",
        "No complaints here.",
        "Great service, thank you.",
    ],
    "DISSATISFIED": [
        "I'm not satisfied.",
        "Not very happy with how long it took.",
        "Honestly, I'm disappointed.",
    ],
    "OPT_OUT": [
        "STOP",
        "Please unsubscribe me.",
        "Please stop emailing me.",
        "Don't contact me again.",
        "Remove me from your list.",
        "No more emails, please.",
        "Opt me out.",
        "Just leave me alone.",
    ],
    "RATING_CUES": [
        "My rating: 4",
        "I'd rate it 3.",
        "I'd give it a 4.",
        "4 out of 5",
        "Five stars!",
        "I'd say 4",
        "A solid 4, thanks.",
    ],
    "NUMBER_WORDS": ["One.", "Two", "Three!", "Four.", "Five", "Ten out of ten!"],
    "CONNECTIVES": [
        "It arrived, but it doesn't work.",
        "It works, however the lid is cracked.",
        "Though it's working now.",
        "Not happy because it took so long.",
        "All fine except the cable.",
        "Apart from that, it works.",
    ],
}
