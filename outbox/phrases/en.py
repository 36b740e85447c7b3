"""English phrases for the recovery lint (patterns on folded text; see the package docstring)."""

LANGUAGE = "en"

# "Is there anything else I can do?" closes the conversation instead of checking the outcome.
ANYTHING_ELSE = [
    r"\b(is there )?anything else (that )?(i|we) (can|could|may) (do|help)",
    r"\b(can|could|may) (i|we) (help|assist) (you )?with anything else\b",
    r"\bif (there is|there's) anything else\b",
    r"\blet (me|us) know if (you need|there is|there's) anything else\b",
    r"\banything more (i|we) can do\b",
    r"\bwhat else can (i|we) do for you\b",
]

# Excuses, blame and the phrases that make things worse (service-recovery.md).
EXCUSE = [
    r"\byou should have\b",
    r"\byou (forgot|failed) to\b",
    r"\bas i (already|previously) (said|mentioned|explained)\b",
    r"\bas (already|previously) (stated|mentioned|explained)\b",
    r"\bcalm down\b",
    r"\banother department\b",
    r"\b(not|isn't|is not) our (fault|responsibility)\b",
    r"\b(the courier|the supplier|our supplier|the carrier|our partner)('s)? (is|was) to blame\b",
    r"\bthis (was|is) (caused by|due to) (the courier|the carrier|our supplier|the supplier)\b",
    r"\bour system (made an error|made a mistake|was down|had a glitch)\b",
    r"\b(there is|there's) nothing (i|we) can do\b",
    r"\bbeyond our control\b",
    r"\bdue to (high|unusually high) (volume|demand)\b",
]

POLICY = [
    r"\b(company|our|store|shop) polic(y|ies)\b",
    r"\bpolicy (does not|doesn't) allow\b",
    r"\bagainst (our|the) (rules|policy)\b",
]

# Sending the customer away to solve it themselves, or asking them to repeat what we have.
DEFLECTION = [
    r"\bplease (visit|check|see|consult) our (website|faq|help cent(er|re)|help page)\b",
    r"\b(please )?(call|contact|phone) (our|the) (hotline|call cent(er|re)|helpline|support line)\b",
    r"\bplease (provide|send|resend|repeat) (us )?(again|once more)\b",
    r"\bplease fill (in|out) (the|our) (form|contact form)\b",
]

# "We apologise for any inconvenience": sorry from nobody, about nothing in particular.
IMPERSONAL_APOLOGY = [
    r"\b(we|the company) (apologi[sz]e|regret) for any inconvenience\b",
    r"\bsorry for any inconvenience\b",
    r"\bapologi(es|ze|se) for (any|the) inconvenience (this may have|caused|this has caused)\b",
    r"\bwe regret (any|the) inconvenience\b",
]

# Matched only at the very start of the reply, after the greeting.
UNFORTUNATELY_OPENER = [
    r"^(unfortunately|regrettably|sadly)\b",
]

# A first-person apology.
APOLOGY = [
    r"\bi('m| am)( (so|truly|very|really|deeply))? sorry\b",
    r"\bi (sincerely |truly )?apologi[sz]e\b",
    r"\bmy (sincere |deepest )?apologies\b",
]

# The close: does the solution work for the customer, are they satisfied with it?
SATISFACTION = [
    r"\bdoes (this|that) (solution )?work for you\b",
    r"\b(are|would) you (be )?(satisfied|happy) with (the|this|that|how)\b",
    r"\bwhether you (are|were) (satisfied|happy) with\b",
    r"\bis (this|that) (solution )?(acceptable|ok|okay) (to|for) you\b",
]

# A concrete first-person action: what is being done, now.
ACTION = [
    r"\bi(('ve| have)| will|'ll| am|'m) (now )?(already )?(arranged|sent|sending|refunded|refunding|issued|booked|restored|restoring|replaced|cancelled|credited|added|taken over|opened|reported|passed|checked|corrected|fixed|resolved|shipped|upgraded|escalated)\b",
    r"\bi('ve| have) (already )?(asked|made sure|set up)\b",
    r"\b(i|we)( will|'ll) (send|refund|replace|ship|credit|call|fix|restore)\b",
]

# Words that introduce an order, booking or invoice number, as folded regexes; the number
# itself (with an optional "no.", "nr.", "#" or ":" before it) is matched by outbox.facts.
ORDER_WORDS = [
    r"order",
    r"booking( reference| ref)?",
    r"reservation",
    r"invoice",
    r"parcel",
    r"tracking",
]

# (sentence, the number outbox.facts must extract from it)
ORDER_EXAMPLES: list[tuple[str, str]] = [
    ("My order 4411 never came.", "4411"),
    ("Order no. A-99812 was wrong.", "A-99812"),
    ("Your invoice #2026-0042 is double.", "2026-0042"),
    ("booking reference: XK55Q1", "XK55Q1"),
]

EXAMPLES: dict[str, list[str]] = {
    "ANYTHING_ELSE": [
        "Is there anything else I can do for you?",
        "Is there anything else that we could help you with today?",
        "Can I help you with anything else?",
        "If there's anything else, just reply.",
        "Let me know if you need anything else.",
        "Is there anything more we can do?",
        "What else can I do for you?",
    ],
    "EXCUSE": [
        "You should have checked the size chart.",
        "You forgot to enter the apartment number.",
        "As I already said, the parcel left on Monday.",
        "As previously mentioned, refunds take ten days.",
        "Please calm down so we can talk.",
        "Another department handled that order.",
        "This is not our fault.",
        "The courier is to blame for the delay.",
        "This was caused by the courier losing the label.",
        "Our system made an error with your invoice.",
        "There is nothing we can do at this point.",
        "The delay was beyond our control.",
        "Due to high volume, replies take longer.",
    ],
    "POLICY": [
        "It's company policy not to refund shipping.",
        "Our policy does not allow exchanges after 14 days.",
        "That would be against our rules.",
        "Store policies say returns must be unopened.",
        "The policy doesn't allow exceptions.",
    ],
    "DEFLECTION": [
        "Please visit our website for the returns form.",
        "Please call our hotline between 9 and 5.",
        "Please provide again your order number and address.",
        "Please fill out the contact form.",
    ],
    "IMPERSONAL_APOLOGY": [
        "We apologise for any inconvenience.",
        "Sorry for any inconvenience.",
        "Apologies for the inconvenience caused.",
        "We regret any inconvenience.",
    ],
    "UNFORTUNATELY_OPENER": [
        "Unfortunately, your order cannot be changed.",
        "Regrettably we are out of stock.",
        "Sadly the parcel is lost.",
    ],
    "APOLOGY": [
        "I'm sorry about the mix-up.",
        "I am truly sorry.",
        "I sincerely apologise for the wrong charge.",
        "My apologies for the delay.",
    ],
    "SATISFACTION": [
        "Does this solution work for you?",
        "Are you happy with how we've put this right?",
        "Please tell me whether you are satisfied with the new date.",
        "Is this acceptable to you?",
    ],
    "ACTION": [
        "I have arranged a replacement.",
        "I've refunded the second charge.",
        "I will send the tracking number today.",
        "I have made sure the courier calls you first.",
        "We'll send a new one tomorrow.",
    ],
}
