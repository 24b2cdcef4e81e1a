//! French cues (weights as in `en.rs`). Elisions split: `n'est pas` is the
//! words `n`, `est`, `pas`.

use super::Signal::*;
use super::{CueGroup, WordLists, group};

#[rustfmt::skip]
pub(super) const CUES: &[CueGroup] = &[
    // Non-conformités.
    group(Problem, 2.0, &[
        "manque", "manquent", "manquant", "manquante", "manquants", "pas enregistré", "non enregistré",
        "pas de trace", "aucune trace", "aucun enregistrement", "pas d'enregistrement", "pas signé",
        "non signé", "vide", "expiré", "périmé", "dépassée", "non conforme", "non-conformité",
        "non conformité", "cassé", "fissuré", "fissure", "endommagé", "sale", "moisissure", "moisissures",
        "rouille", "défaillant", "hors tolérance", "au-delà de la limite", "dépassement", "pas fait",
        "pas réalisé", "non réalisé", "pas effectué", "non effectué", "non vérifié", "pas vérifié",
        "non étalonné", "pas étalonné", "oublié", "rien n'", "pas de preuve", "aucune preuve", "pas à jour",
        "obsolète", "illisible", "non identifié", "pas identifié", "plus de", "n'a plus", "non verrouillé",
        "pas fermé", "non étiqueté", "pas étiqueté", "non daté", "pas daté", "pas formé", "non formé",
        "pas de formation", "nuisibles", "déjections", "contamination", "contaminé", "non maîtrisé",
        "incorrect", "incorrecte", "erroné", "pas respecté", "non respecté", "pas suivi", "non suivi",
        "ne figure pas", "introuvable", "absence de",
    ]),
    group(Problem, 1.5, &[
        "s'arrête", "s'arrêtent", "absent", "absente", "écart", "écarts", "dépasse", "alors qu'",
        "alors que", "au bout de", "trop tard", "en retard", "aurait dû", "auraient dû", "devrait être",
        "lacune", "faute", "erreur", "défaut", "n'a pas été", "pas été",
    ]),
    group(Problem, 1.0, &["pourtant", "bien que", "=seulement"]),
    group(Negation, 1.0, &["pas", "aucun", "aucune", "rien", "jamais", "sans", "ni", "n'", "ne", "personne"]),
    // Points positifs.
    group(Good, 1.5, &[
        "complet", "complets", "complète", "complètes", "conforme", "conformes", "correctement",
        "à chaque fois", "bien tenu", "bien tenus", "bien tenue", "bon état", "à jour", "respecté",
        "respectés", "=maîtrisé", "en moins d'", "en moins de", "dans les délais", "bonne pratique",
        "bonnes pratiques", "rien à signaler", "aucun écart", "très propre", "impeccable", "exemplaire",
        "bien organisé", "parfaitement", "systématiquement", "rigoureux", "rigoureuse", "efficace",
        "tous signés", "toutes signées", "bien rangé", "clairement identifié", "clairement identifiés",
        "correspondent", "correspond", "cohérent", "cohérents", "sans hésitation", "savaient", "ont su",
        "connaissent", "maîtrisent", "bien formé", "bien formés",
    ]),
    group(Good, 1.0, &[
        "tous", "toutes", "chaque", "=correct", "correcte", "propre", "propres", "signé", "signés",
        "=enregistré", "=enregistrés", "=étiqueté", "=étiquetés", "=étiquetée", "=étiquetées", "séparé",
        "séparés", "séparées", "validé", "=vérifié", "=vérifiés", "bouclé", "satisfaisant", "satisfaisants",
        "identifié", "identifiés", "tracé", "tracés", "disponible", "en place", "bien", "fermé à clé",
        "protégé",
    ]),
    group(Good, 0.5, &["tout", "très bien", "montre"]),
    // Pistes d'amélioration.
    group(Improvement, 2.0, &[
        "vous =pourriez", "on =pourrait", "il =serait", "ce =serait bien", "ce =serait mieux", "gagnerait à",
        "je recommande", "je vous recommande", "je suggère", "je vous suggère", "piste d'amélioration",
        "pistes d'amélioration", "axe d'amélioration", "plus pratique", "il vaudrait mieux", "mériterait",
        "pourrait être amélioré", "vous auriez intérêt", "ça vaudrait le coup", "=serait utile",
        "=serait plus", "vous gagneriez",
    ]),
    group(Improvement, 1.5, &[
        "=pourrait", "envisager", "amélioration", "améliorer", "recommandation", "suggestion",
    ]),
    group(Improvement, 0.5, &["mieux", "pratique", "plus simple"]),
    // Actions.
    group(Request, 2.0, &[
        "merci de", "je vous demande de", "veuillez", "pouvez-vous", "pourriez-vous",
        "est-ce que vous pouvez", "est-ce que vous pourriez", "vous pouvez m'envoyer", "il faut que vous",
        "je vous laisse", "je veux voir", "je voudrais voir", "j'aurai besoin", "assurez-vous", "faites-moi",
        "tu peux", "tu pourrais", "peux-tu", "pourrais-tu", "vous pouvez", "est-ce que tu peux",
    ]),
    group(Request, 1.5, &["il faut", "à faire", "doit être", "doivent être", "envoyer", "transmettre"]),
    group(Commitment, 2.0, &[
        "je vais", "je m'en occupe", "je m'en charge", "je le fais", "je vous envoie", "je vous transmets",
        "je lance", "je regarde", "je vérifie", "c'est noté", "je prends", "je pose", "j'appelle",
        "je demande", "je contacte", "je relance", "je fais", "je transmets", "je mets à jour", "je prépare",
    ]),
    group(Deadline, 1.0, &[
        "d'ici", "avant lundi", "avant mardi", "avant mercredi", "avant jeudi", "avant vendredi",
        "avant la fin", "au plus tard", "la semaine prochaine", "cette semaine", "aujourd'hui", "demain",
        "cet après-midi", "dès que possible", "rapidement", "sous huitaine", "sous quinzaine", "échéance",
        "délai", "avant le", "fin du mois", "fin de semaine",
    ]),
    // Décisions.
    group(Decision, 2.0, &[
        "on part sur", "on a décidé", "nous avons décidé", "décidé", "on valide", "c'est validé",
        "c'est acté", "acté", "d'accord pour", "on va", "nous allons", "désormais", "dorénavant",
        "à partir de maintenant", "on garde", "on retient", "nous retenons", "la décision", "on fera",
    ]),
    group(Decision, 1.0, &["à partir de", "plutôt que", "au lieu de", "validé", "approuvé"]),
    // Points clés.
    group(Figure, 1.5, &[
        "en baisse", "en hausse", "par rapport à", "comparé à", "pour cent", "augmenté", "diminué", "baissé",
        "passé de", "passés de", "objectif atteint", "dans l'objectif", "au-dessus de l'objectif",
        "en dessous de l'objectif", "en avance", "=indicateur", "=indicateurs",
    ]),
    group(Figure, 1.0, &[
        "contre", "baisse", "hausse", "tendance", "au total", "en moyenne", "moyenne", "objectif",
    ]),
    group(Figure, 0.5, &["ce mois-ci", "le mois dernier", "cette année", "total", "bilan"]),
    // Risques.
    group(Risk, 2.0, &[
        "risque", "risques", "si ... pourrait", "si ... pourrions", "si ... pourraient", "si ... risque",
        "pourrait entraîner", "pourrait provoquer", "inquiet", "inquiète", "inquiétant", "m'inquiète",
        "préoccupant", "préoccupation", "seul fournisseur", "fournisseur unique",
        "pas de solution de secours", "pas de plan b", "pas d'alternative", "aucune alternative", "danger",
        "dangereux", "menace", "exposé", "vulnérable", "problèmes de livraison",
        "problème d'approvisionnement", "manquer de", "à court de",
    ]),
    group(Risk, 1.5, &["si ... aurait", "dépendance", "pénurie", "rupture", "rappel produit", "si ... va"]),
    group(Risk, 1.0, &[
        "secours", "dépend", "dépendons", "retard", "retards", "potentiel", "potentiellement", "sauf si",
    ]),
    group(Risk, 0.5, &["si", "au cas où"]),
    // Questions ouvertes.
    group(Question, 2.0, &[
        "quelqu'un sait", "est-ce qu'on sait", "on sait si", "savez-vous si", "question ouverte",
        "pas clair", "on ne sait pas", "reste à savoir", "à vérifier si", "à clarifier", "qui sait",
    ]),
    group(Question, 1.0, &["si on", "si le", "si la", "si les"]),
    // Notes.
    group(Note, 2.0, &[
        "en congé", "en vacances", "en arrêt maladie", "reporté", "reportée", "reportés", "reportées",
        "décalé", "décalée", "ne s'applique plus", "plus applicable", "non applicable", "sans objet",
        "hors périmètre", "hors du périmètre", "sera traité", "sera traitée", "sera vu", "sera vue",
        "sera couvert", "sera couverte", "lors de la prochaine visite", "prochaine visite", "remplacée par",
        "remplacé par", "revue documentaire", "en travaux", "pas visité", "pas été visité", "non visité",
    ]),
    group(Note, 1.5, &["n'est plus", "ne sont plus", "entre-temps", "=séparément", "indisponible"]),
    // Preuves.
    group(Evidence, 1.0, &[
        "enregistrement", "enregistrements", "relevé", "relevés", "fiche", "fiches", "registre",
        "certificat", "rapport", "contrôle", "contrôles", "test", "tests", "prélèvement", "prélèvements",
        "résultat", "résultats", "plan", "procédure", "document", "documents", "version", "versions",
        "étalonnage", "étiquette", "étiquettes", "formulaire", "signature", "formation", "température",
        "températures", "lot", "lots", "traçabilité", "sonde", "sondes", "thermomètre", "analyse",
        "analyses", "cahier", "classeur", "planning", "liste", "haccp", "ccp", "limite critique",
        "spécification", "cahier des charges",
    ]),
    // Bavardage et logistique.
    group(SmallTalk, 3.0, &[
        "^bonjour", "^salut", "^merci", "bonjour à tous", "repas de midi", "attention", "mouillé", "par ici",
        "on passe en", "on commence par", "on y va", "allons-y", "pardon", "désolé", "désolée", "ha",
        "ha ha", "bonne journée", "au revoir", "à tout à l'heure", "suivez-moi", "je peux voir",
        "je peux avoir", "on regarde", "jeter un œil", "jeter un coup d'œil", "ça va", "pas de souci",
        "pas de problème", "c'est parti", "je vous crois", "promis", "quand même", "je vous présente",
        "les constats", "on fait une petite pause", "vous m'entendez", "invitation", "autre chose",
    ]),
    group(SmallTalk, 1.0, &["parfait", "super", "génial", "entendu", "d'accord", "ensuite"]),
    // Constats passés.
    group(History, 1.5, &[
        "l'an dernier", "l'année dernière", "dernier audit", "audit précédent", "précédent audit",
        "dernière fois", "ancien écart", "c'est réglé", "a été levé", "a été soldé", "soldé", "clôturé",
    ]),
    // Ajouts après une première série de transcriptions inédites.
    group(SmallTalk, 1.5, &[
        "un café", "prendre un café", "machine à café", "une pause", "petite pause", "faire une pause",
        "pause café", "déjeuner", "bon week-end", "votre week-end", "la météo", "parking", "bouchons",
    ]),
    group(Improvement, 2.0, &["ce =serait", "=serait intéressant"]),
    group(Problem, 2.0, &[
        "posés au sol", "posé au sol", "posée au sol", "posées au sol", "à même le sol", "stockés au sol",
        "posés ... au sol", "usé", "usés", "abîmé", "abîmés", "détérioré", "écaillé", "obstrué", "encombré",
        "bloqué", "pas en place", "aucun ... en place",
    ]),
    group(Problem, 1.5, &[
        "dans le même", "dans la même", "mélangé", "mélangés", "dernier enregistrement", "pas encore",
    ]),
    group(Good, 1.5, &[
        "sans difficulté", "sans problème", "ont su", "savent", "bien entretenu", "bien entretenus",
    ]),
    group(Good, 1.0, &[
        "=contrôlé", "=contrôlés", "=nettoyé", "=nettoyés", "=entretenu", "=intact", "=intacts",
    ]),
    group(Figure, 1.0, &[
        "installé", "réservé", "en cours", "livré", "terminé", "plus que", "moins que", "seuil",
    ]),
    group(Risk, 2.0, &[
        "si ... on devra", "si ... il faudra", "ça me préoccupe", "ça m'embête", "repousser", "retarder",
    ]),
    group(Question, 1.0, &["aucune idée", "je ne sais pas", "pas sûr", "pas encore décidé", "à confirmer"]),
    group(Decision, 2.0, &[
        "on met en place", "on arrête", "on lance", "on reste sur", "on maintient", "on décide",
    ]),
    group(Decision, 1.0, &["dès", "à compter de"]),
    group(Deadline, 1.0, &[
        "lundi prochain", "mardi prochain", "mercredi prochain", "jeudi prochain", "vendredi prochain",
    ]),
    group(Problem, 2.0, &[
        "dans le même casier", "sur la même étagère", "dans le même bac", "sur le même rayonnage",
        "dans la même armoire",
    ]),
    // Ajouts après une deuxième série.
    group(Problem, 2.0, &["ne fonctionne pas", "hors service", "en panne", "fendu", "percé"]),
    group(Problem, 1.5, &["mal", "ferme mal", "condensation", "goutte", "gouttes", "trou", "éteint"]),
    group(Good, 1.0, &[
        "=remplies", "=rempli", "=remplis", "=remplie", "=affiché", "=affichée", "=affichés", "=affichées",
        "lisible", "lisibles", "=archivés", "=rangés", "=isolé", "=isolés", "=consignés",
    ]),
    group(Commitment, 1.5, &["je peux"]),
    group(Figure, 1.5, &["point sur", "mise à jour"]),
    group(Status, 1.0, &[
        "où en est", "où en sont", "qu'est-ce qui s'est passé", "quoi de neuf", "le point sur",
        "ça donne quoi", "comment ça se passe", "comment ça s'est passé",
    ]),
    // Ajouts après une troisième série.
    group(Aside, 2.0, &[
        "pour information", "pour info", "à noter", "je précise", "je signale", "pour mémoire",
        "je note que", "pour votre information", "je vous signale",
    ]),
    group(Requirement, 1.0, &[
        "la procédure dit", "la procédure prévoit", "exige", "prévoit que", "est censé", "sont censés",
    ]),
    group(Problem, 2.0, &[
        "je relève un écart", "je lève un écart", "écart mineur", "écart majeur", "non-conformité mineure",
        "non-conformité majeure", "sans étiquette", "sans date", "pas d'étiquette", "pas de date",
    ]),
    group(Problem, 1.5, &["au-dessus des"]),
    group(Evidence, 1.0, &["j'ai vu", "j'ai trouvé", "j'ai constaté", "j'ai remarqué", "j'ai vérifié"]),
    group(Improvement, 2.0, &["il =faudrait peut-être", "il =faudrait", "=faudrait"]),
    group(Improvement, 0.5, &["peut-être"]),
    group(Note, 2.0, &["=sera audité", "=sera auditée", "audité séparément", "auditée séparément"]),
    group(Problem, 1.0, &["au-dessus des pots ouverts", "au-dessus du produit", "au-dessus des produits"]),
];

#[rustfmt::skip]
pub(super) const WORDS: WordLists = WordLists {
    stopwords: &[
        "le", "la", "les", "l", "un", "une", "des", "du", "de", "d", "et", "ou", "mais", "donc", "or", "ni",
        "car", "à", "au", "aux", "en", "dans", "sur", "sous", "par", "pour", "avec", "sans", "chez", "ce",
        "c", "cet", "cette", "ces", "ça", "cela", "il", "elle", "ils", "elles", "on", "je", "j", "tu",
        "nous", "vous", "me", "m", "te", "t", "se", "s", "lui", "leur", "leurs", "y", "mon", "ma", "mes",
        "ton", "ta", "tes", "son", "sa", "ses", "notre", "nos", "votre", "vos", "qui", "que", "qu", "quoi",
        "dont", "où", "est", "sont", "était", "être", "été", "a", "ai", "as", "avons", "avez", "ont",
        "avait", "avoir", "fait", "faire", "ne", "n", "pas", "plus", "très", "bien", "bon", "bonne", "alors",
        "euh", "ben", "bah", "hein", "voilà", "oui", "non", "d'accord", "ok", "okay", "là", "ici", "comme",
        "aussi", "encore", "déjà", "tout", "tous", "toute", "toutes", "si", "quand", "comment", "pourquoi",
        "va", "vais", "peux", "peut", "hmm", "ah", "oh", "bref", "enfin", "quoi", "puis",
    ],
    numbers: &[
        "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "onze", "douze", "treize",
        "quatorze", "quinze", "seize", "vingt", "trente", "quarante", "cinquante", "soixante", "cent",
        "cents", "mille", "million", "moitié", "demi", "douzaine",
    ],
    continuations: &[
        "parce", "car", "donc", "ce", "c", "cela", "ça", "il", "elle", "ils", "elles", "et", "mais", "aussi",
        "d'ailleurs", "puisque", "comme", "du", "sinon", "ces",
    ],
    answers: &["oui", "non", "exact", "exactement", "absolument", "tout à fait", "effectivement", "si"],
    already: &["déjà"],
    fillers: &[
        "alors", "bon", "donc", "et", "ok", "okay", "euh", "bien", "bref", "ah", "oh", "puis", "ensuite",
    ],
    proportion: &["sur"],
    articles: &["les", "nos", "vos", "ces"],
    contrasts: &["mais", "cependant", "pourtant", "toutefois"],
    imperatives: &[],
};
