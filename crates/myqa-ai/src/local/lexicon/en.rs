//! English cues. Weights: 2.0 settles a category on its own, 1.0–1.5 needs
//! support, 0.5 only tips a balance (the classifier emits at 2.0).

use super::Signal::*;
use super::{CueGroup, WordLists, group};

#[rustfmt::skip]
pub(super) const CUES: &[CueGroup] = &[
    // Nonconformity: what an auditor writes up.
    group(Problem, 2.0, &[
        "missing", "blank", "expired", "expiry date has passed", "out of date", "overdue", "lapsed",
        "uncalibrated", "not calibrated", "unsigned", "not signed", "=isn't signed", "not recorded",
        "=isn't recorded", "=wasn't recorded", "=aren't recorded", "=weren't recorded", "no record",
        "no records", "no ... record", "no ... records", "no evidence", "no ... evidence", "not completed",
        "=isn't completed", "not done", "=wasn't done", "not carried out", "not available", "not on file",
        "no note", "nothing to show", "=can't find", "=couldn't find", "could not find", "=cannot find",
        "crack", "=cracked", "broken", "damaged", "damage", "dirty", "soiled", "contaminated",
        "contamination", "mould", "mouldy", "moldy", "rust", "rusty", "peeling", "leaking", "leak",
        "droppings", "pest activity", "infestation", "not followed", "=wasn't followed", "not in place",
        "out of spec", "out of specification", "exceeded", "exceeds", "above the limit", "over the limit",
        "above the critical limit", "non conforming", "nonconforming", "nonconformity", "non conformity",
        "non compliant", "noncompliant", "not compliant", "incorrect", "incorrectly", "inaccurate",
        "illegible", "obsolete", "superseded", "uncontrolled", "not controlled", "unlabelled", "unlabeled",
        "not labelled", "not labeled", "undated", "not dated", "not verified", "not validated", "untrained",
        "not trained", "no training", "skipped", "deviation", "breach", "falsified", "backdated",
        "not closed", "still open", "no corrective action", "not cleaned", "unclean", "propped open",
        "not been", "=hasn't been", "=haven't been", "never been", "not updated", "not reviewed",
        "not approved", "unapproved", "not investigated", "not reported", "gone past", "past its", "empty",
        "unlocked", "not locked", "left open", "left unlocked", "uncovered", "not covered", "unprotected",
    ]),
    group(Problem, 1.5, &[
        "goes straight from", "jumps from", "had no", "has no", "have no", "=there's no", "gap", "gaps",
        "failed", "fails", "lack", "lacks", "lacking", "absent", "loose", "worn", "stops on", "stops at",
        "=stopped", "ends on", "whereas", "even though", "only one", "should have been", "=should've been",
        "supposed to", "wrong",
    ]),
    group(Problem, 1.0, &["although", "=outside"]),
    group(Negation, 1.0, &[
        "not", "no", "=isn't", "=wasn't", "=aren't", "=weren't", "=hasn't", "=haven't", "=hadn't",
        "=doesn't", "=don't", "=didn't", "=can't", "cannot", "=couldn't", "=won't", "=wouldn't",
        "=shouldn't", "never", "none", "nothing", "nobody", "without", "neither", "nor",
    ]),
    // Positive findings.
    group(Good, 1.5, &[
        "all present", "well maintained", "good condition", "good order", "exactly what we want",
        "what i'd expect", "what we'd expect", "what i would expect", "good practice", "best practice",
        "well organised", "well organized", "well laid out", "up to date", "in date", "in calibration",
        "all negative", "fully", "complete", "completed", "=correctly", "match", "matches", "matched",
        "well inside", "well within", "within limits", "within specification", "within spec",
        "within the limit", "no issues", "no problems", "no gaps", "no concerns", "nothing missing",
        "nothing out of place", "impressive", "excellent", "very good", "really good", "robust", "effective",
        "effectively", "well done", "clearly labelled", "clearly labeled", "clearly marked", "legible",
        "consistent", "consistently", "compliant", "conforming", "conforms", "in line with", "meets the",
        "good trend", "spotless", "immaculate", "properly", "thorough", "thoroughly", "all signed",
        "without hesitation", "could ... explain", "able to ... explain", "knew", "knowledgeable",
        "well trained", "good understanding", "good knowledge", "aware of", "confidently",
    ]),
    group(Good, 1.0, &[
        "every", "each", "=recorded", "=signed", "=documented", "=verified", "=validated", "=calibrated",
        "=filed", "=attached", "=locked", "=labelled", "=labeled", "=segregated", "=separated",
        "satisfactory", "=clean", "tidy", "=good", "current", "within", "on time", "passed", "accurate",
        "accurately", "=correct", "full", "=controlled", "protected", "secure", "=traceable", "in place",
        "=closed",
    ]),
    group(Good, 0.5, &[
        "all", "fine", "=shows", "=showed", "demonstrates", "demonstrated", "=checked", "available",
    ]),
    // Opportunities for improvement.
    group(Improvement, 2.0, &[
        "might be worth", "may be worth", "would be worth", "could be worth", "worth considering",
        "worth looking at", "could consider", "might consider", "may consider", "you could",
        "you might want to", "you may want to", "might want to", "it would help", "would help",
        "it would be good", "would be good to", "would be better", "might be better", "would be useful",
        "might be useful", "would be nice", "could be improved", "room for improvement",
        "opportunity for improvement", "improvement opportunity", "=i'd suggest", "i would suggest",
        "=i'd recommend", "i would recommend", "my suggestion", "one suggestion", "would make sense",
        "would make it easier", "might help", "could help", "worth thinking about", "it would be worth",
        "you could also",
    ]),
    group(Improvement, 1.5, &["consider", "suggest", "recommend", "recommendation", "improve"]),
    group(Improvement, 1.0, &["improvement", "streamline", "simplify"]),
    group(Improvement, 0.5, &["better", "easier"]),
    // Action items.
    group(Request, 2.0, &[
        "please", "can you", "could you", "would you", "will you", "can i ask you to", "could i ask you to",
        "i need you to", "=i'd like you to", "i'll need to see", "send me", "make sure", "let me know",
        "=i'd like to see", "i want to see", "you need to", "you'll need to", "you will need to",
    ]),
    group(Request, 1.5, &["ensure", "needs to be", "need to be", "must be", "has to be", "have to be"]),
    group(Request, 1.0, &["must", "follow up", "chase"]),
    group(Commitment, 2.0, &[
        "=i'll", "i will", "=i'm going to", "i am going to", "will do", "leave it with me", "i can do that",
        "=i'll take", "=i'll make sure", "=we'll get", "i'll look into",
    ]),
    group(Deadline, 1.0, &[
        "by monday", "by tuesday", "by wednesday", "by thursday", "by friday", "by saturday", "by sunday",
        "by tomorrow", "by next week", "by the end of", "by end of", "by close of", "before ... monday",
        "before ... tuesday", "before ... wednesday", "before ... thursday", "before ... friday",
        "before the close out", "before the closing meeting", "before we leave", "within ... days",
        "within ... weeks", "today", "tomorrow", "this afternoon", "this week", "next week",
        "end of the week", "end of the month", "asap", "as soon as possible", "deadline", "due date",
        "once it's back", "straight away", "right away",
    ]),
    // Meeting decisions.
    group(Decision, 2.0, &[
        "=we'll", "we will", "=let's", "let us", "agreed", "we agreed", "we've agreed", "we have agreed",
        "decided", "we've decided", "we have decided", "decision is", "the decision", "=we're going to",
        "we are going to", "going forward", "from now on", "with immediate effect", "go ahead with",
        "we'll go with", "the plan is", "signed off on",
    ]),
    group(Decision, 1.0, &["rather than", "=approved", "instead of"]),
    group(Decision, 0.5, &["instead"]),
    // Key points: figures and status.
    group(Figure, 1.5, &[
        "down to", "up to", "down from", "up from", "compared with", "compared to", "versus", "increased",
        "increase", "decreased", "decrease", "dropped", "fell", "rose", "risen", "reduced", "reduction",
        "per cent", "percent", "year to date", "on target", "off target", "above target", "below target",
        "ahead of target", "behind target", "on track", "behind schedule", "ahead of schedule", "kpi",
        "kpis", "the figures", "the numbers", "doubled", "halved", "went up", "went down", "is up",
        "is down", "are up", "are down",
    ]),
    group(Figure, 1.0, &["trend", "average", "in total", "so far this", "status"]),
    group(Figure, 0.5, &["total", "overall", "this month", "last month", "this quarter", "this year"]),
    // Meeting risks.
    group(Risk, 2.0, &[
        "risk", "risks", "risky", "at risk", "if ... could", "if ... might", "could lead to",
        "could result in", "could cause", "might lead to", "might cause", "worried", "worry", "worries",
        "concern", "concerned", "concerning", "exposure", "exposed", "vulnerable", "only supplier",
        "single supplier", "sole supplier", "single source", "our only", "no backup", "no ... backup",
        "no contingency", "no alternative", "could be a problem", "might be a problem", "threat", "danger",
        "dangerous", "bottleneck", "leave us short", "run short", "run out of", "running out of",
        "supply issue", "supply issues", "supply problems",
    ]),
    group(Risk, 1.5, &["if ... would", "dependent on", "reliance", "shortage", "recall", "if ... will"]),
    group(Risk, 1.0, &[
        "could go", "would leave", "which would", "lead time", "lead times", "short", "backup", "depend on",
        "rely on", "delay", "delays", "potential", "potentially", "=likely to", "unless", "vulnerable to",
    ]),
    group(Risk, 0.5, &["in case", "if"]),
    // Open questions.
    group(Question, 2.0, &[
        "does anyone know", "does anybody know", "do we know", "anyone know", "is it clear", "open question",
        "not clear whether", "unclear", "need to find out", "has anyone", "who knows", "any idea whether",
        "any idea if",
    ]),
    group(Question, 1.0, &["whether", "need to check whether", "what's the position"]),
    // General notes.
    group(Note, 2.0, &[
        "on leave", "on holiday", "on annual leave", "off sick", "on maternity leave", "no longer applies",
        "no longer apply", "no longer relevant", "not applicable", "=doesn't apply", "does not apply",
        "out of scope", "outside the scope", "postponed", "rescheduled", "deferred", "will be covered",
        "will be reviewed", "will be audited", "will be looked at", "at the next visit", "next visit",
        "desk review", "not visited", "=wasn't visited", "will be visited", "not audited", "=wasn't audited",
    ]),
    group(Note, 1.5, &[
        "no longer", "=separately", "in the meantime", "not in scope", "for context", "unavailable",
    ]),
    // Evidence an auditor looks at (boosts findings, never one on its own).
    group(Evidence, 1.0, &[
        "record", "records", "log", "logs", "sheet", "sheets", "register", "certificate", "report", "check",
        "checks", "test", "tests", "swab", "swabs", "result", "results", "matrix", "plan", "procedure",
        "sop", "sops", "document", "documents", "documentation", "version", "versions", "calibration",
        "label", "labels", "form", "file", "sign off", "signature", "induction", "training", "specification",
        "haccp", "ccp", "critical limit", "validation", "verification", "monitoring", "audit trail", "batch",
        "lot", "traceability", "temperature", "reading", "readings", "thermometer", "probe", "checklist",
        "schedule", "list", "instrument",
    ]),
    // Small talk and logistics (subtracted).
    group(SmallTalk, 3.0, &[
        "let's go", "=let's get started", "make a start", "get started", "shall we start", "shall we go",
        "^good morning", "^morning", "^good afternoon", "^hello", "^hi", "^hiya", "^hey", "^thanks",
        "^thank you", "^cheers", "cup of tea", "tea break", "coffee break", "a break", "mind the",
        "mind your", "watch your step", "be careful", "no worries", "sounds good", "fair enough",
        "how are you", "nice to meet", "see you", "bye", "ha", "haha", "follow me", "this way", "over here",
        "by the way", "dial in", "dialling in", "dialing in", "hear me", "on mute", "invite", "walk round",
        "walkround", "let me", "can i see", "can i have", "could i see", "could i have", "have a look",
        "take a look", "anything else", "that's everything", "that's all", "wrap up", "any other business",
        "does that work", "sounds like a plan", "hold your breath", "thanks for having me", "no problem",
        "=sorry",
    ]),
    group(SmallTalk, 1.0, &["brilliant", "perfect", "great", "lovely", "the office", "=first"]),
    // Findings of past audits revisited.
    group(History, 1.5, &[
        "previous =audit", "last =audit", "previous report", "last report", "old finding",
        "previous finding", "from last time", "=closed out", "=was closed", "=were closed", "already closed",
    ]),
    // Added after a first round on unseen transcripts.
    group(History, 1.5, &["last =year's", "last year there"]),
    group(SmallTalk, 1.5, &[
        "a coffee", "coffee first", "cup of coffee", "coffee machine", "grab a coffee", "for lunch",
        "before lunch", "after lunch", "go to lunch", "have lunch", "lunch break", "good weekend",
        "nice weekend", "your weekend", "the weather", "the traffic", "traffic was", "car park", "parking",
        "biscuits",
    ]),
    group(SmallTalk, 2.0, &[
        "can you show me", "could you show me", "show me the", "let me see", "=let's head", "head back",
    ]),
    group(Problem, 2.0, &[
        "perished", "worn out", "deteriorated", "degraded", "frayed", "chipped", "flaking", "obscured",
        "blocked", "no ... in place", "runs out", "stored on the floor", "left on the floor",
        "placed on the floor", "directly on the floor",
    ]),
    group(Problem, 1.5, &["mixed with", "stored together", "last entry", "not yet", "no ... yet"]),
    group(Problem, 1.0, &["in the same"]),
    group(Good, 1.5, &[
        "well kept", "kept up to date", "could ... answer", "able to ... answer", "answered ... correctly",
        "without any problem", "without difficulty", "without any issues",
    ]),
    group(Good, 1.0, &["=maintained", "=inspected", "=serviced", "=cleaned", "=written", "=intact", "=kept"]),
    group(Figure, 1.0, &[
        "installed", "=booked", "in progress", "on hold", "delivered", "rolled out", "up and running",
        "more than", "less than", "fewer than", "threshold", "below our", "above our", "passed", "failed",
    ]),
    group(Risk, 2.0, &[
        "bothers me", "worries me", "if ... =we'd", "if ... =it'd", "if ... =they'd", "would push",
        "push ... back",
    ]),
    group(Question, 1.0, &[
        "not sure", "no idea", "=don't know", "nobody knows", "nobody has looked", "not been decided",
        "to be confirmed", "tbc",
    ]),
    group(Decision, 2.0, &[
        "we =go with", "=we're going with", "we =move", "we =switch", "we =keep", "we =stick with",
        "we =stop", "we =start", "we =change",
    ]),
    group(Decision, 1.0, &[
        "from monday", "from next week", "from tomorrow", "starting next week", "starting from", "as of",
        "with effect from",
    ]),
    group(Deadline, 1.0, &[
        "on monday", "on tuesday", "on wednesday", "on thursday", "on friday", "next monday", "next tuesday",
        "next wednesday", "next thursday", "next friday",
    ]),
    group(Note, 1.5, &["will be closed", "is closed for", "last thing"]),
    group(Problem, 2.0, &[
        "same rack", "same shelf", "same locker", "same drawer", "same container", "same pallet",
    ]),
    // Added after a second round on unseen transcripts.
    group(Good, 1.0, &[
        "=reviewed", "=quarantined", "marked for", "=stored", "=displayed", "=posted", "filled in",
        "=identified", "legible", "=readable",
    ]),
    group(Good, 0.5, &["=covers"]),
    group(Improvement, 1.5, &[
        "would make", "would reduce", "would prevent", "would avoid", "would save", "would allow",
        "would stop", "would be easier", "would be safer", "could add", "might add", "one idea",
        "one thought", "an idea",
    ]),
    group(Improvement, 2.0, &["you might", "you could add", "you might add"]),
    group(Problem, 2.0, &[
        "not working", "=doesn't work", "=isn't working", "out of order", "corroded", "switched off",
        "turned off",
    ]),
    group(Problem, 1.5, &[
        "split", "badly", "poorly", "condensation", "dripping", "drips", "hole", "holes", "dented",
    ]),
    group(Problem, 0.5, &["still"]),
    group(Request, 1.5, &["needs sorting", "need sorting", "needs fixing", "=i'd like the"]),
    group(Commitment, 1.5, &["i can"]),
    group(Deadline, 0.5, &["now"]),
    group(Figure, 1.5, &["update on", "quick update", "status update", "came back with"]),
    group(Figure, 1.0, &["all but"]),
    group(Figure, 0.5, &["so far"]),
    group(Status, 1.0, &[
        "how are we", "what =happened", "where are we", "any update", "update on", "what's the status",
        "the status of", "the status on", "how did", "what's the latest", "how's the", "how is the",
        "how are things", "how did it go",
    ]),
    group(Note, 2.0, &[
        "=haven't reviewed", "not reviewed today", "not looked at", "=haven't looked at",
        "not part of today's", "=isn't part of", "outside today's",
    ]),
    // Added after a third round on unseen transcripts.
    group(Aside, 2.0, &[
        "just so everyone knows", "just so you know", "for information", "for your information", "for info",
        "fyi", "for the record", "note that", "please note", "worth noting", "bear in mind", "for awareness",
        "for everyone's awareness", "heads up", "be aware", "just a note", "a note that", "quick note",
        "by way of background", "just so you're aware", "so you're aware", "=for the report",
    ]),
    group(Requirement, 1.0, &[
        "procedure says", "=says that", "=says", "requires", "=require", "the standard requires",
        "is supposed to", "are supposed to", "should be", "are meant to", "is meant to",
    ]),
    group(Problem, 2.0, &[
        "torn", "raising a minor", "raise a minor", "raising a major", "raise a major", "a minor against",
        "a major against", "minor nonconformity", "major nonconformity", "minor non conformance",
        "major non conformance", "minor non conformity", "record that as a", "write that up as a",
        "no ... label", "no ... labels", "no date", "without a label", "without a date", "no use by",
        "heavily greased", "greasy", "=isn't version controlled",
    ]),
    group(Evidence, 1.0, &["i found", "i noticed", "i saw", "i observed", "i checked"]),
    group(Request, 2.0, &[
        "=i'd want to see", "=i'd need to see", "i need to see", "action on", "action for", "over to you",
        "can you take",
    ]),
    group(Improvement, 0.5, &["perhaps", "maybe"]),
    group(Note, 1.5, &["won't go over", "won't cover", "won't look at", "=won't be looking at"]),
    group(Question, 1.0, &["=nobody's told", "nobody has told", "no one knows", "=haven't heard"]),
    group(SmallTalk, 3.0, &["keep this short", "keep it short", "be quick"]),
    group(SmallTalk, 1.0, &["^next", "next then", "next please"]),
    group(Decision, 1.0, &["from next month", "next month onwards"]),
    group(Problem, 1.0, &["above open product", "over open product"]),
    group(Good, 1.0, &["on file"]),
];

#[rustfmt::skip]
pub(super) const WORDS: WordLists = WordLists {
    stopwords: &[
        "a", "an", "the", "and", "or", "but", "so", "of", "to", "in", "on", "at", "for", "with", "from",
        "by", "as", "is", "are", "was", "were", "be", "been", "being", "it", "it's", "its", "this", "that",
        "that's", "these", "those", "there", "there's", "here", "i", "i'm", "i'll", "i'd", "i've", "me",
        "my", "we", "we're", "we'll", "we've", "our", "us", "you", "you're", "your", "he", "she", "they",
        "they're", "him", "her", "them", "their", "his", "what", "which", "who", "how", "when", "where",
        "why", "do", "does", "did", "done", "have", "has", "had", "will", "would", "can", "could", "should",
        "may", "might", "must", "shall", "not", "no", "yes", "if", "then", "than", "just", "now", "also",
        "too", "very", "really", "all", "any", "some", "about", "up", "down", "out", "over", "into", "onto",
        "again", "still", "already", "get", "got", "go", "going", "okay", "ok", "right", "well", "yeah",
        "yep", "yup", "hmm", "um", "uh", "erm", "ah", "oh", "ha", "actually", "basically", "like", "sort",
        "kind", "thing", "things", "one", "let's", "let", "see", "look", "good", "great", "fine", "thanks",
        "thank", "sure", "wait", "mean", "know", "think", "say", "said", "without", "for", "it'll", "he's",
        "she's", "don't", "didn't", "isn't", "wasn't", "anyway",
    ],
    numbers: &[
        "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
        "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty",
        "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "hundred", "thousand", "million",
        "half", "dozen", "percent",
    ],
    continuations: &[
        "because", "so", "as", "since", "which", "this", "that", "that's", "it", "it's", "they", "they're",
        "there", "there's", "also", "and", "but", "otherwise", "plus", "meaning", "these", "those",
    ],
    answers: &["yes", "yeah", "yep", "yup", "no", "nope", "correct", "exactly", "absolutely", "definitely"],
    already: &["already"],
    fillers: &[
        "okay", "ok", "right", "so", "well", "and", "also", "then", "now", "um", "uh", "erm", "hmm", "oh",
        "ah", "alright", "good", "great", "just",
    ],
    proportion: &["of"],
    articles: &["the", "our", "your", "their", "these", "those"],
    contrasts: &["but", "however"],
    imperatives: &[
        "send", "make", "get", "check", "update", "replace", "fix", "review", "ensure", "arrange", "book",
        "add", "remove", "label", "clean", "repair", "retrain", "train", "investigate", "record", "complete",
        "sign", "file", "provide", "share", "forward", "confirm", "organise", "organize", "schedule",
        "raise", "close", "move", "change", "contact", "call", "chase", "order", "calibrate", "verify",
        "assess", "revise", "rewrite", "circulate", "email", "submit", "put", "keep", "show", "bring",
        "document", "write", "tell", "ask", "discard", "dispose", "quarantine", "segregate", "hold",
        "notify",
    ],
};
