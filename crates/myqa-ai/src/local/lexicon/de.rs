//! German cues (weights as in `en.rs`). Compounds are common: `*protokoll`
//! matches `Reinigungsprotokoll`, `Temperaturprotokoll`…

use super::Signal::*;
use super::{CueGroup, WordLists, group};

#[rustfmt::skip]
pub(super) const CUES: &[CueGroup] = &[
    // Abweichungen.
    group(Problem, 2.0, &[
        "fehlt", "fehlen", "fehlend", "fehlende", "fehlenden", "nicht dokumentiert", "nicht eingetragen",
        "nicht unterschrieben", "nicht unterzeichnet", "nicht abgezeichnet", "nicht durchgeführt",
        "nicht erfasst", "nicht ausgefüllt", "keine aufzeichnung", "keine aufzeichnungen", "kein nachweis",
        "keine nachweise", "kein eintrag", "keine einträge", "leer", "abgelaufen", "überfällig", "veraltet",
        "ungültig", "nicht kalibriert", "unkalibriert", "beschädigt", "gebrochen", "riss", "gerissen",
        "verschmutzt", "schmutzig", "schimmel", "rost", "rostig", "abweichung", "abweichungen",
        "nicht konform", "nicht eingehalten", "überschritten", "falsch", "unvollständig", "vergessen",
        "nicht gekennzeichnet", "nicht beschriftet", "nicht datiert", "nicht geschult", "keine schulung",
        "nicht verifiziert", "nicht validiert", "nicht freigegeben", "nicht aktuell", "nicht gereinigt",
        "schädlingsbefall", "kot", "undicht", "nicht vorhanden", "nicht auffindbar", "unleserlich",
        "nicht befolgt", "nicht umgesetzt", "nicht gemacht", "nicht erledigt", "nicht geprüft", "mangel",
        "mängel", "nicht mehr ausgefüllt", "*protokoll ... fehlt", "nicht verschlossen", "offen gelassen",
        "unverschlossen", "nicht abgedeckt",
    ]),
    group(Problem, 1.5, &[
        "lücke", "lücken", "hört ... auf", "endet", "obwohl", "hätte ... müssen", "hätten ... müssen",
        "sollte ... sein", "zu spät", "verspätet", "fehler", "defekt", "locker", "nur bis",
    ]),
    group(Problem, 1.0, &["allerdings", "jedoch", "aber die", "aber der", "aber das"]),
    group(Negation, 1.0, &[
        "nicht", "kein", "keine", "keinen", "keiner", "keinem", "keines", "ohne", "nie", "niemals", "nichts",
        "niemand", "weder",
    ]),
    // Positive Feststellungen.
    group(Good, 1.5, &[
        "vollständig", "komplett", "korrekt", "einwandfrei", "in ordnung", "gut gepflegt", "gepflegt",
        "auf dem neuesten stand", "aktuell", "eingehalten", "konform", "vorbildlich", "sehr gut",
        "stimmen ... überein", "stimmt ... überein", "übereinstimmen", "alle negativ", "lückenlos",
        "ordnungsgemäß", "sauber geführt", "gut organisiert", "keine abweichungen", "keine mängel",
        "keine beanstandungen", "innerhalb der grenzwerte", "innerhalb von", "nachvollziehbar",
        "gute praxis", "wirksam", "zuverlässig", "sorgfältig", "alle unterschrieben", "konnten ... erklären",
        "ohne zu zögern", "wussten", "gut geschult", "kannten",
    ]),
    group(Good, 1.0, &[
        "=alle", "jede", "jeder", "jedes", "jeweils", "richtig", "sauber", "dokumentiert", "unterschrieben",
        "abgezeichnet", "kalibriert", "gültig", "innerhalb", "gekennzeichnet", "getrennt", "abgeschlossen",
        "verschlossen", "geprüft", "freigegeben", "vorhanden", "gut", "geschult", "bestanden", "rechtzeitig",
    ]),
    group(Good, 0.5, &["zeigt", "passt"]),
    // Verbesserungspotenzial.
    group(Improvement, 2.0, &[
        "sie könnten", "man könnte", "könnte man", "wäre es sinnvoll", "wäre sinnvoll", "wäre es gut",
        "wäre besser", "wäre hilfreich", "es wäre", "ich empfehle", "ich würde empfehlen", "empfehlung",
        "verbesserungspotenzial", "verbesserungsvorschlag", "würde helfen", "praktischer", "lohnt sich",
        "lohnen", "anregung", "ich würde vorschlagen", "vorschlag", "sie sollten überlegen", "überlegen sie",
        "es bietet sich an", "ließe sich",
    ]),
    group(Improvement, 1.5, &["könnten", "sinnvoll", "verbesserung", "verbessern", "überlegen", "empfehlen"]),
    group(Improvement, 0.5, &["besser", "einfacher"]),
    // Maßnahmen.
    group(Request, 2.0, &[
        "bitte", "können sie", "könnten sie", "würden sie", "schicken sie", "senden sie", "sorgen sie",
        "stellen sie sicher", "ich brauche", "lassen sie mir", "reichen sie", "nachreichen", "zusenden",
        "ich möchte ... sehen", "kannst du", "könntest du", "würdest du", "schick mir", "schicke mir",
    ]),
    group(Request, 1.5, &["muss", "müssen", "ist zu", "sind zu"]),
    group(Commitment, 2.0, &[
        "ich werde", "ich kümmere mich", "ich schicke", "ich sende", "ich schaue", "ich kläre", "mache ich",
        "übernehme ich", "ich übernehme", "erledige ich", "ich rufe", "ich frage", "ich melde mich",
        "ich kläre das", "ich mache", "ich prüfe", "ich organisiere", "ich bereite", "ich gebe ... bescheid",
        "ich schreibe",
    ]),
    group(Deadline, 1.0, &[
        "bis montag", "bis dienstag", "bis mittwoch", "bis donnerstag", "bis freitag", "bis morgen",
        "bis ende", "bis zum", "bis nächste woche", "heute noch", "heute", "morgen früh", "diese woche",
        "nächste woche", "bis spätestens", "spätestens", "umgehend", "sofort", "frist", "termin",
    ]),
    // Entscheidungen.
    group(Decision, 2.0, &[
        "wir machen", "machen wir", "wir werden", "wir haben beschlossen", "beschlossen", "entschieden",
        "entscheidung", "vereinbart", "einigen uns", "wir einigen", "lassen sie uns", "lass uns",
        "ab sofort", "künftig", "in zukunft", "wir stellen", "wir nehmen", "festgelegt", "wir bleiben bei",
    ]),
    group(Decision, 1.0, &["statt", "stattdessen", "anstatt", "freigegeben"]),
    // Kernpunkte.
    group(Figure, 1.5, &[
        "gesunken", "gestiegen", "zurückgegangen", "im vergleich zu", "verglichen mit", "gegenüber",
        "prozent", "rückgang", "anstieg", "verdoppelt", "halbiert", "im plan", "im ziel", "über dem ziel",
        "unter dem ziel", "kennzahl", "kennzahlen", "gesenkt", "erhöht",
    ]),
    group(Figure, 1.0, &["trend", "insgesamt", "durchschnitt", "durchschnittlich", "ziel", "stand"]),
    group(Figure, 0.5, &["diesen monat", "letzten monat", "dieses jahr", "gesamt"]),
    // Risiken.
    group(Risk, 2.0, &[
        "risiko", "risiken", "wenn ... könnte", "wenn ... könnten", "falls ... könnte", "falls ... könnten",
        "könnte dazu führen", "gefahr", "gefährlich", "sorge", "sorgen", "bedenken", "besorgt",
        "einziger lieferant", "einzigen lieferanten", "einziger zulieferer", "kein ersatz",
        "keine alternative", "kein backup", "keine ausweichmöglichkeit", "abhängig", "gefährdet",
        "bedrohung", "lieferprobleme", "lieferengpass", "betroffen sein", "knapp werden",
    ]),
    group(Risk, 1.5, &["engpass", "ausfall", "rückruf", "wenn ... würde", "falls ... würde", "knapp"]),
    group(Risk, 1.0, &["verzögerung", "verzögerungen", "potenziell", "möglicherweise", "es sei denn"]),
    group(Risk, 0.5, &["falls", "wenn"]),
    // Offene Fragen.
    group(Question, 2.0, &[
        "weiß jemand", "wissen wir", "ist klar", "unklar", "offene frage", "noch offen", "klären",
        "herausfinden", "wer weiß",
    ]),
    group(Question, 1.0, &["ob"]),
    // Hinweise.
    group(Note, 2.0, &[
        "im urlaub", "krank", "krankgeschrieben", "verschoben", "nicht anwendbar", "entfällt",
        "gilt nicht mehr", "nicht mehr relevant", "außerhalb des geltungsbereichs", "nicht im umfang",
        "wird nachgeholt", "wird ... nachgeholt", "beim nächsten besuch", "nächsten audit",
        "nicht besichtigt", "wird morgen geprüft", "wird ... geprüft", "nicht begangen",
    ]),
    group(Note, 1.5, &["nicht mehr", "inzwischen", "separat", "gesondert"]),
    // Nachweise.
    group(Evidence, 1.0, &[
        "*protokoll", "protokoll", "aufzeichnung", "*aufzeichnung", "aufzeichnungen", "liste", "*liste",
        "register", "zertifikat", "*zertifikat", "bericht", "*bericht", "prüfung", "*prüfung", "kontrolle",
        "*kontrolle", "test", "*test", "abstrich", "*abstrich", "abstriche", "ergebnis", "*ergebnis",
        "ergebnisse", "plan", "*plan", "verfahren", "dokument", "dokumente", "*dokument", "version",
        "kalibrierung", "*kalibrierung", "etikett", "etiketten", "formular", "unterschrift", "schulung",
        "*schulung", "temperatur", "*temperatur", "charge", "chargen", "rückverfolgbarkeit", "nachweis",
        "*nachweis", "thermometer", "fühler", "haccp", "ccp", "grenzwert", "spezifikation", "matrix",
        "*matrix",
    ]),
    // Smalltalk und Logistik.
    group(SmallTalk, 3.0, &[
        "^guten morgen", "^guten tag", "^hallo", "^moin", "^servus", "^danke", "vielen dank", "mittagspause",
        "vorsicht", "achtung", "passen sie auf", "hier entlang", "gehen wir", "fangen wir an", "los geht's",
        "entschuldigung", "kein problem", "alles klar", "bis später", "tschüss", "haha", "folgen sie mir",
        "kann ich ... sehen", "darf ich ... sehen", "schauen wir", "werfen wir einen blick",
        "hören sie mich", "einladung", "sonst noch etwas", "das wäre alles",
    ]),
    group(SmallTalk, 1.0, &["super", "prima", "perfekt", "toll", "weiter", "als nächstes", "genau"]),
    // Frühere Feststellungen.
    group(History, 1.5, &[
        "letztes jahr", "letzten jahr", "im letzten audit", "vorjahr", "letzte audit", "letzten audit",
        "vorheriges audit", "letztes mal", "frühere abweichung", "wurde geschlossen", "ist erledigt",
        "abgestellt",
    ]),
    // Ergänzt nach einer ersten Runde mit unbekannten Transkripten.
    group(SmallTalk, 1.5, &[
        "einen kaffee", "kaffee trinken", "kaffee steht", "kaffeemaschine", "mittagessen", "eine pause",
        "kurze pause", "pause machen", "das wetter", "parkplatz", "schönes wochenende",
        "wie war ... wochenende",
    ]),
    group(SmallTalk, 2.0, &["zeigen sie mir", "können sie mir ... zeigen", "schauen wir uns"]),
    group(Good, 1.0, &["kontrolliert", "gereinigt", "gewartet", "intakt"]),
    group(Good, 1.5, &["ohne probleme", "ohne schwierigkeiten", "konnten ... beantworten"]),
    group(Problem, 2.0, &[
        "auf dem boden abgestellt", "auf dem boden gelagert", "direkt auf dem boden", "verstellt",
        "blockiert", "abgenutzt", "porös",
    ]),
    group(Problem, 1.5, &[
        "im selben", "im gleichen", "zusammen mit", "letzte eintrag", "seit ... nicht", "noch nicht",
        "läuft ... aus",
    ]),
    group(Evidence, 1.0, &["eintrag", "einträge", "*eintrag"]),
    group(Figure, 1.0, &[
        "mehr als", "weniger als", "installiert", "gebucht", "in arbeit", "geliefert", "abgeschlossen",
    ]),
    group(Decision, 2.0, &[
        "wir führen", "wir stellen", "wir setzen", "wir starten", "wir beginnen", "wir ändern",
        "wir bleiben", "wir nehmen", "wir verschieben", "wir erhöhen", "wir reduzieren", "wir gehen",
    ]),
    group(Decision, 1.0, &["ab nächster woche", "ab montag", "ab morgen", "ab dem"]),
    group(Risk, 2.0, &["droht", "drohen", "riskieren", "macht mir sorgen", "gefällt mir nicht"]),
    group(Question, 1.0, &[
        "keine ahnung", "weiß ich nicht", "weiß nicht", "geklärt", "nicht sicher", "unsicher",
    ]),
    group(Problem, 2.0, &[
        "im selben spind", "im selben regal", "im gleichen regal", "im selben schrank",
        "im gleichen schrank", "im selben behälter",
    ]),
    // Ergänzt nach einer zweiten Runde.
    group(Problem, 2.0, &["außer betrieb", "funktioniert nicht", "defekt"]),
    group(Problem, 1.5, &["schlecht", "kondenswasser", "tropft", "ausgeschaltet", "loch"]),
    group(Good, 1.0, &["ausgefüllt", "ausgehängt", "lesbar"]),
    group(Commitment, 1.5, &["ich kann"]),
    group(Figure, 1.5, &["stand bei", "update zu"]),
    group(Status, 1.0, &[
        "wie sieht es", "wie ist der stand", "was ist passiert", "gibt es neuigkeiten", "was gibt es neues",
        "wie läuft",
    ]),
    // Ergänzt nach einer dritten Runde.
    group(Aside, 2.0, &[
        "zur info", "zur information", "nur zur info", "zur kenntnis", "zu ihrer information", "hinweis",
        "nur zur kenntnis", "nur damit sie es wissen", "zur erinnerung",
    ]),
    group(Requirement, 1.0, &["laut verfahren", "fordert", "verlangt", "schreibt vor", "sollte", "sollten"]),
    group(Problem, 2.0, &[
        "nebenabweichung", "hauptabweichung", "abweichung feststellen", "stelle ... abweichung",
        "ohne etikett", "ohne datum", "kein etikett", "keine kennzeichnung", "eingerissen", "zerrissen",
    ]),
    group(Evidence, 1.0, &[
        "ich habe gesehen", "ich habe ... gesehen", "mir ist aufgefallen", "ich habe ... gefunden",
        "ich habe ... geprüft",
    ]),
    group(Improvement, 0.5, &["vielleicht"]),
    group(Problem, 1.0, &["über offenem produkt", "über offenen produkten"]),
];

#[rustfmt::skip]
pub(super) const WORDS: WordLists = WordLists {
    stopwords: &[
        "der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "einem", "einer", "eines", "und",
        "oder", "aber", "doch", "denn", "sondern", "zu", "zum", "zur", "in", "im", "an", "am", "auf", "aus",
        "bei", "mit", "nach", "von", "vom", "vor", "für", "über", "unter", "um", "durch", "gegen", "ohne",
        "bis", "ist", "sind", "war", "waren", "sein", "bin", "bist", "hat", "haben", "hatte", "hatten",
        "wird", "werden", "wurde", "wurden", "kann", "können", "muss", "soll", "sollte", "will", "ich", "du",
        "er", "sie", "es", "wir", "ihr", "mich", "mir", "uns", "euch", "ihnen", "ihn", "ihm", "sich", "mein",
        "dein", "sein", "unser", "ihre", "ihren", "dieser", "diese", "dieses", "diesen", "jetzt", "hier",
        "da", "dort", "so", "also", "ja", "nein", "nicht", "noch", "schon", "auch", "nur", "sehr", "mal",
        "okay", "ok", "gut", "na", "äh", "ähm", "hm", "hmm", "ah", "oh", "genau", "dann", "wie", "was",
        "wer", "wo", "wann", "warum", "wenn", "ob", "dass", "weil", "als", "man",
    ],
    numbers: &[
        "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun", "zehn", "elf", "zwölf",
        "dreizehn", "vierzehn", "fünfzehn", "zwanzig", "dreißig", "vierzig", "fünfzig", "hundert", "tausend",
        "million", "hälfte", "halb", "dutzend", "prozent",
    ],
    continuations: &[
        "weil", "da", "denn", "deshalb", "daher", "deswegen", "also", "das", "dies", "es", "und", "aber",
        "auch", "außerdem", "sonst", "dabei", "damit", "somit",
    ],
    answers: &["ja", "nein", "genau", "richtig", "stimmt", "doch", "korrekt", "jawohl"],
    already: &["schon", "bereits"],
    fillers: &["also", "gut", "okay", "ok", "na", "so", "und", "dann", "äh", "ähm", "ja", "jetzt", "nun"],
    proportion: &["von"],
    articles: &["den", "unseren", "ihren", "diesen"],
    contrasts: &["aber", "jedoch", "allerdings"],
    imperatives: &[],
};
