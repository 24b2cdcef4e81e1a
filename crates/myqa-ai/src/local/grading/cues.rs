//! Cues of written evidence, added to the CaptureIQ lexicons for grading:
//! how registers, reports and notes say that something lapsed or holds, and
//! the logistics of an audit day that bear on no requirement. Same syntax as
//! the lexicon tables (`crate::local::lexicon`).

use crate::local::lexicon::Signal::*;
use crate::local::lexicon::{CueGroup, group};

#[rustfmt::skip]
pub(super) const EN: &[CueGroup] = &[
    group(Problem, 2.0, &[
        "no longer", "=had left", "has left", "not reached", "lists no", "no actions", "no action",
        "not valid", "invalid", "outdated", "out of date", "not performed", "not checked", "unchecked",
        "not assessed", "not evaluated", "not followed up", "no follow up", "no owner", "no due date",
        "no date", "not yet trained", "not yet assessed", "pending", "not closed", "remains open",
        "without approval", "not authorised", "not authorized", "unauthorised", "unauthorized",
        "accepted anyway", "released before", "shipped before", "dispatched before", "nobody checked",
        "no one checked", "not been checked", "no check", "not tested", "beyond", "lapsed", "slipped",
    ]),
    group(Problem, 1.0, &["only", "late", "delayed", "later than"]),
    group(Good, 1.0, &[
        "in date", "valid to", "valid until", "approved", "passed", "within", "on time", "closed",
        "effective", "reconciles", "verified", "signed off",
    ]),
    group(SmallTalk, 3.0, &[
        "lunch", "hotel", "taxi", "parking", "car park", "coffee", "weather", "train station",
        "railway", "flight", "airport", "menu", "canteen", "sandwiches", "holiday", "weekend", "football",
        "motorway", "roadworks", "traffic", "restaurant", "dinner", "inbox", "visitor badge",
        "parking permit", "resurfacing",
    ]),
];

#[rustfmt::skip]
pub(super) const FR: &[CueGroup] = &[
    group(Problem, 2.0, &[
        "plus valable", "n'est plus", "ne sont plus", "périmé", "périmée", "dépassé", "dépassée",
        "expiré", "expirée", "en retard", "non réalisé", "non réalisée", "non effectué", "non effectuée",
        "non signé", "non signée", "non renseigné", "non renseignée", "non vérifié", "non vérifiée",
        "non évalué", "non évaluée", "non formé", "non formée", "en cours", "en attente", "sans responsable",
        "sans date", "sans action", "aucune action", "aucun enregistrement", "aucune trace", "manquant",
        "manquante", "absent", "absente", "hors limite", "hors tolérance", "non conforme", "non conformes",
        "sans validation", "sans approbation", "non approuvé", "non approuvée", "personne n'a vérifié",
    ]),
    group(Problem, 1.0, &["seulement", "uniquement", "tardivement"]),
    group(Good, 1.0, &[
        "conforme", "conformes", "validé", "validée", "approuvé", "approuvée", "vérifié", "vérifiée",
        "signé", "signée", "à jour", "dans les limites", "clôturé", "clôturée", "réalisé", "réalisée",
    ]),
    group(SmallTalk, 3.0, &[
        "déjeuner", "hôtel", "taxi", "parking", "café", "météo", "gare", "aéroport",
        "menu", "cantine", "sandwich", "sandwichs", "vacances", "week end", "autoroute", "bouchons",
        "restaurant", "dîner", "grève", "badge visiteur",
    ]),
];

#[rustfmt::skip]
pub(super) const DE: &[CueGroup] = &[
    group(Problem, 2.0, &[
        "nicht mehr", "abgelaufen", "überschritten", "überfällig", "nicht durchgeführt", "nicht erfolgt",
        "nicht unterschrieben", "nicht dokumentiert", "nicht geprüft", "nicht bewertet", "nicht geschult",
        "nicht freigegeben", "ohne freigabe", "keine verantwortlichen", "kein verantwortlicher", "kein termin",
        "keine maßnahme", "keine maßnahmen", "keine prüfung", "kein nachweis", "offen", "ausstehend",
        "fehlt", "fehlen", "fehlend", "außerhalb", "nicht konform", "abweichung", "verspätet",
    ]),
    group(Problem, 1.0, &["nur", "erst", "noch nicht"]),
    group(Good, 1.0, &[
        "bestanden", "konform", "freigegeben", "unterschrieben", "abgezeichnet", "gegengezeichnet",
        "dokumentiert", "geprüft", "aktuell", "innerhalb", "erledigt", "abgeschlossen", "vollständig",
        "sauber", "eingehalten",
    ]),
    group(SmallTalk, 3.0, &[
        "mittagessen", "hotel", "taxi", "parkplatz", "kaffee", "wetter", "bahnhof", "flug",
        "flughafen", "kantine", "urlaub", "wochenende", "autobahn", "stau", "restaurant", "abendessen",
        "navi", "anfahrt", "streik", "besucherausweis",
    ]),
];
