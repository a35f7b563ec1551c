"""People named in news about prisoners, found by rules that work across languages. Pure.

A person is a run of two to four capitalised words (Latin or Cyrillic script, within one
line; initials and particles like "al-" or "de" allowed) with evidence next to it that it
names a person: a role word before or after it ("political prisoner Deniz Aksoy", "Iker
Etxeberria preso politikoa", "tutsak Mahir Ekinci'nin"), a title ("Dr.", "Frau", "Av."),
the Tagalog person marker ("si"), an appositive or a verb of a person after it ("X, who has
been on hunger strike", "X, 61,", "X was sentenced", "X a été libéré"), a Turkish case suffix
of a person ("Kanat'a"), or a list joined to such a name ("X and Y"). Runs that hold a word
of an organisation or a place ("Grup", "Prison", "Committee") or an acronym are no persons;
capitalised function words and sentence starts ("At", "Die", "Yesterday") are trimmed off.

Persian and Arabic script has no capitals: a name there is the two (or three) words after a
role word of that script (زندانی سیاسی, الأسير, المعتقلة), or the words before a Latin
spelling in brackets ("نسرین علوی (Nasrin Alavi)"), which then gives the key, so that the
Persian and the English article name one person.

Keys fold spelling (diacritics, Turkish dotless i, case suffixes after an apostrophe, Arabic
and Persian letter variants), so one person's mentions in several languages meet.
"""

from __future__ import annotations

import re

from aggregator.entities import fold

# --- words ---------------------------------------------------------------------------------

#: Role words before (or, in Basque and appositions, after) a name; single words match as stems
#: ("Aktivist" finds "Aktivisten", "журналист" finds "журналистку").
ROLE_WORDS = {
    "en": [
        "political prisoner",
        "prisoner of conscience",
        "prisoner",
        "hunger striker",
        "striker",
        "detainee",
        "defendant",
        "inmate",
        "journalist",
        "activist",
        "lawyer",
        "attorney",
        "student",
        "teacher",
        "trade unionist",
        "unionist",
        "musician",
        "singer",
        "poet",
        "writer",
        "artist",
        "comrade",
        "brother",
        "sister",
        "mother",
        "father",
        "wife",
        "husband",
        "daughter",
        "son",
        "judge",
        "prosecutor",
        "leader",
        "spokesperson",
        "spokesman",
        "spokeswoman",
        "organiser",
        "organizer",
    ],
    "de": [
        "Gefangene",
        "Häftling",
        "Hungerstreikende",
        "Angeklagte",
        "Journalist",
        "Aktivist",
        "Genossin",
        "Genosse",
        "Anwalt",
        "Anwältin",
        "Rechtsanwalt",
        "Rechtsanwältin",
        "Mutter",
        "Vater",
        "Schwester",
        "Bruder",
        "Tochter",
        "Sohn",
        "Sprecher",
        "Musiker",
        "Sänger",
        "Lehrer",
        "Student",
        "Gewerkschafter",
    ],
    "fr": [
        "prisonnier",
        "prisonnière",
        "gréviste",
        "détenu",
        "accusé",
        "journaliste",
        "militant",
        "avocat",
        "avocate",
        "camarade",
        "mère",
        "père",
        "sœur",
        "frère",
        "fille",
        "fils",
        "épouse",
        "porte-parole",
        "syndicaliste",
        "étudiant",
        "enseignant",
    ],
    "es": [
        "preso",
        "presa",
        "prisionero",
        "prisionera",
        "huelguista",
        "detenido",
        "detenida",
        "acusado",
        "acusada",
        "periodista",
        "activista",
        "compañero",
        "compañera",
        "abogado",
        "abogada",
        "dirigente",
        "líder",
        "madre",
        "padre",
        "hermana",
        "hermano",
        "hija",
        "hijo",
        "esposa",
        "portavoz",
        "sindicalista",
        "estudiante",
    ],
    "it": [
        "prigioniero",
        "prigioniera",
        "detenuto",
        "detenuta",
        "imputato",
        "imputata",
        "giornalista",
        "attivista",
        "avvocato",
        "avvocata",
        "compagno",
        "compagna",
        "madre",
        "padre",
        "sorella",
        "fratello",
        "figlia",
        "figlio",
        "moglie",
        "portavoce",
        "sindacalista",
        "militante",
    ],
    "tr": [
        "tutsak",
        "mahpus",
        "tutuklu",
        "hükümlü",
        "sanık",
        "gazeteci",
        "avukat",
        "öğrenci",
        "öğretmen",
        "müzisyen",
        "grevci",
        "sendikacı",
        "şair",
        "yazar",
        "sanatçı",
        "annesi",
        "babası",
        "kızı",
        "oğlu",
        "eşi",
        "kardeşi",
        "yoldaş",
    ],
    "ku": [
        "girtî",
        "girtiy",
        "rojnameger",
        "parêzer",
        "çalakvan",
        "hunermend",
        "mamoste",
        "xwendekar",
        "dayika",
        "bavê",
        "hevalê",
        "hevala",
    ],
    "eu": ["preso", "presoa", "kazetari", "abokatu", "ekintzaile", "iheslari", "militante", "ama", "aita"],
    "pt": [
        "preso",
        "presa",
        "prisioneiro",
        "prisioneira",
        "detido",
        "detida",
        "jornalista",
        "ativista",
        "advogado",
        "advogada",
        "mãe",
        "pai",
        "irmã",
        "irmão",
        "filha",
        "filho",
        "esposa",
        "sindicalista",
        "militante",
        "estudante",
        "professor",
        "professora",
    ],
    "ru": [
        "политзаключённ",
        "политзаключенн",
        "заключённ",
        "заключенн",
        "узник",
        "узница",
        "журналист",
        "активист",
        "адвокат",
        "правозащитни",
        "анархист",
        "студент",
        "мать",
        "отец",
        "жена",
        "сестра",
        "брат",
        "дочь",
        "сын",
    ],
    "da": [
        "politisk fange",
        "fange",
        "sultestrejkende",
        "journalist",
        "aktivist",
        "advokat",
        "mor",
        "far",
        "søster",
        "bror",
        "datter",
        "søn",
        "talsperson",
    ],
    "tl": ["bilanggong pulitikal", "bilanggo", "aktibista", "mamamahayag", "abogado", "ina", "ama", "kapatid"],
}
#: Words before a name that say what was done to the person ("sentenced X", "a condamné X") or where
#: they are; evidence before a name, never after it ("zu fünf Jahren Haft verurteilt").
ACTED_ON = {
    "en": ["sentenced", "arrested", "detained", "released", "freed", "write to", "year-old"],
    "de": ["verurteilt", "festgenommen", "freigelassen", "verhaftet", "schreibt an"],
    "fr": ["condamn", "libér", "arrêté", "interpellé"],
    "es": ["conden", "liberad", "encarcelad"],
    "it": ["condann", "scarcerat", "arrestat"],
    "tr": ["yaşındaki", "orucundaki", "grevindeki"],
    "pt": ["libertad"],
    "ru": ["приговорил"],
    "da": ["idømt"],
}
#: Tagalog marks a person's name with these words.
_MARKERS = ["si", "ni", "kay", "sina", "nina"]
#: Words of organisations, bodies and places: a run holding one is no person.
_INSTITUTIONS = """
prison prisons jail penitentiary correctional institution cezaevi tutukevi gefängnis jva court courthouse mahkeme
mahkemesi adliye adliyesi tribunal tribunale tribunali audiencia auzitegi camp centre center merkez merkezi
committee comité comitato komitee comite network netzwerk réseau red council conseil consejo consiglio ministry
ministerium ministère ministerio ministero bakanlığı university universität université universidad università
üniversitesi street strasse straße square avenue road platz place plaza piazza caddesi cadde sokak sokağı
meydanı mahallesi bulvarı hospital krankenhaus hôpital hospital ospedale hastanesi solidarity solidarität
solidarité solidaridad solidarietà solidariedade dayanışma association associazione asociación associação
derneği dernek vakfı platform platformu initiative initiativ grup grubu group gruppe groupe grupo gruppo band
ensemble choir chor koro party partei parti partido partito partisi union gewerkschaft syndicat sindicato
sendikası federation föderation fédération federación front movement bewegung mouvement movimiento
movimento hareketi collective kollektiv collectif colectivo coletivo collettivo kolektifi hilfe aid secours
socorro soccorso international internacional internazionale internationale watch rights human amnesty news
radio tv press presse prensa stampa agency ajansı haber times post gazette zeitung journal newspaper
institute institut instituto istituto foundation stiftung fondation fundación fondazione state states united
nations republic republik république república repubblica cumhuriyeti kingdom city town hall house haus hus
cárcel prisión prisão penitenciária penitenciaria carcere fængsel espetxe espetxea kartzela supremo federal
national nationale nacional nazionale nazionalak nationalrat police polizei politi polis army armée ejército
forces church mosque havn harbour port airport station bahnhof museum theatre theater teatro tiyatro festival
conference konferenz conférence conferencia conferenza symposium simposio sempozyum congress kongress summit
campaign kampagne campagne campaña campagna kampanya alliance bündnis coalition verein office büro bureau
department commission kommission commissione comisión forum assembly assemblée asamblea assemblea meclis
meclisi parliament parlament parlement parlamento senate administration directorate müdürlüğü valiliği
belediyesi savcılığı başsavcılığı emniyet tipi kapalı açık tehlikeli komeleya komele partiya rêxistina
elkartea elkarteak sarea herritarrak mugimendua комитет суд союз партия центр колония тюрьма сизо
общество движение fængslet kirke plads gade vej samahan kilusan bilangguan piitan jail kulungan
north south east west northern southern eastern western new san santa são saint st fort mount lake island
islands bay river valley gulf sea ocean coast bank strip county province region district zone sound strait
pacific atlantic kuzey güney doğu batı nord süd ost sud est ouest norte sur este oeste nuevo nueva nouveau
nouvelle neu neue yeni technology technologies labs lab laboratory hotels corporation corp inc ltd company
gmbh service services airways airlines bill act accord agreement treaty law fiscalía authority government
regierung gouvernement gobierno governo hükümeti project projects app store film foods mission republican
democrat democratic war wars park research economic cooperation commons estados unidos puerto porto america
latina latin kurumu kurulu komisyonu enstitüsü girtigeh girtigeha wezaret wezareta dadgeh dadgeha haft jahre
jahren monate monaten tagen wochen
""".split()
#: Turkish plural ablatives and adjectives of place never start a name.
_NOT_NAME_ENDINGS = ("lerden", "lardan", "deki", "daki", "teki", "taki")
#: German compounds of a court, a ministry, a prison or a street end so.
_INSTITUTION_ENDINGS = ("gericht", "ministerium", "anwaltschaft", "gefangnis", "strasse", "straße", "anstalt")
#: Capitalised words that start sentences or join names, never part of a person's name.
_FUNCTION_WORDS = """
the a an at in on of for to from by with and or but as after before since during while when where why how
what who this that these those his her their our its my he she they we it both all every each also yesterday
today tomorrow meanwhile according write dear day days week month year free freedom end our your though yet
although besides however maybe perhaps enter not no yes so then still even only just once now here there i
you me him them us like get got let if than thus hence please
monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
september october november december
der die das den dem des ein eine einen einem einer am im an auf aus bei mit nach seit von vom zu zum zur für
gegen über unter vor und oder aber auch als wie wenn weil dass er sie es wir ihr sein seine seiner seinen ihre
ihrem ihren dieser diese dieses heute gestern morgen laut nun jetzt so noch schon bereits freiheit
montag dienstag mittwoch donnerstag freitag samstag sonntag januar februar märz mai juni juli oktober dezember
le la les l un une des du de au aux à en dans sur pour par avec sans selon depuis après avant et ou mais il
elle ils elles nous vous son sa ses leur leurs ce cette ces hier aujourd demain liberté
lundi mardi mercredi jeudi vendredi samedi dimanche janvier février mars avril juin juillet août septembre
octobre novembre décembre
el los las unos unas del al con sin por para según desde tras ante y o pero su sus este esta hoy ayer libertad
lunes martes miércoles jueves viernes sábado domingo enero febrero marzo abril mayo junio julio agosto
septiembre setiembre octubre noviembre diciembre
il lo gli i della dei degli delle di da con su per tra fra e ma suo sua oggi ieri all alla nel nella libertà
lunedì martedì mercoledì giovedì venerdì sabato domenica gennaio febbraio aprile maggio giugno luglio agosto
settembre ottobre dicembre
o os as um uma do da dos das no na em com sem segundo e ou mas seu sua hoje ontem liberdade
segunda terça quarta quinta sexta sábado domingo janeiro fevereiro março abril maio junho julho agosto setembro
outubro novembro dezembro
bu şu o ve ile için bir da de ama ancak dün bugün yarın özgürlük pazartesi salı çarşamba perşembe cuma
cumartesi pazar ocak şubat mart nisan mayıs haziran temmuz ağustos eylül ekim kasım aralık hasta ölüm
û ji li di bi ev ew îro duh azadî
eta gaur atzo bere hau hori askatasuna
den det de en et og i på af til fra med for hans hendes deres frihed mandag tirsdag onsdag torsdag fredag
lørdag søndag
в во на и с со по его её ее их этот эта это сегодня вчера свободу свобода
ang ng sa mga nasa ay at kalayaan
""".split()
_TITLES = """
mr mrs ms dr prof herr frau mme mlle maître sr sra srta doña sig signor signora dott avv bay bayan sayın av doç
camarada genosse genossin compañero compañera compagno compagna hevalê hevala г-н г-жа
president general justice chief minister prime senator governor mayor king queen prince princess pope sheikh
imam colonel captain sergeant officer professor rev reverend sir lady lord solicitor secretary ambassador
commissioner deputy präsident präsidentin bundeskanzler kanzler kanzlerin ministerpräsident président
présidente ministre presidente ministro ministra başkan başkanı cumhurbaşkanı bakan bakanı президент министр
""".split()
#: Person cases of Turkish and Kurdish after an apostrophe (of, to, the, with): not "in" or "from".
_PERSON_SUFFIXES = set(
    """
ın in un ün nın nin nun nün a e ya ye na ne ı i u ü yı yi yu yü nı ni nu nü la le yla yle ê a yê ya
""".split()
)
#: Words right after a name that only a person takes: an apposition, a relative pronoun, an age, a verb.
_AFTER_WORDS = """
who whose said says told wrote writes was is has had began begins started stopped ended refused refuses
entered remains remained faces faced went continues continued spoke speaks called appeared lost needs must will
sagte sagt erklärte erklärt schrieb schreibt befindet befand ist war wurde wird hat hatte sitzt saß trat tritt
begann beginnt beendete bleibt blieb fordert forderte muss soll
a est était sera fut avait observe mène poursuit reste restait déclare dit affirme entame refuse doit
fue está es era estaba ha había será cumple lleva sigue inició comenzó declaró denunció afirmó dijo quedó
permanece debe recibió rechazó
è sarà aveva fu resta rimane continua dichiara sta deve
foi é estava tem tinha completou completa iniciou segue disse declarou
blev er var har havde sagde siger sidder sad skriver skrev bliver skal
объявил объявила был была находится заявил заявила приговорён приговорен приговорена освобождён освобожден
освобождена провёл провел провела остаётся остается сообщил сообщила передал передала написал написала отбывает
tahliye serbest tutuklandı gözaltına hakkında açlık cezaevinde cezaevinden
ku got dibêje hat
dago daude askatu espetxeratu atxilotu
ay
""".split()
_APPOSITION_WORDS = """
who whose der die dessen deren qui dont que quien quienes cuyo cuya che cui cujo cuja ku som который которая
которого которой an the un une una uno um uma ein eine el la le il lo ex former ehemalige
ehemaliger ancien ancienne antiguo antigua eski
""".split()  # not "a", "o", "en", "et", "na": prepositions and conjunctions in other languages
_CONJUNCTIONS = ["and", "und", "et", "y", "e", "ve", "û", "eta", "og", "и", "at", "or", "oder", "ou", ","]

# Persian and Arabic script
_SCRIPT_ROLES = """
زندانی روزنامه‌نگار روزنامه‌نگار روزنامه فعال معلم وکیل دانشجو کارگر هم‌بندی خانم آقای دکتر شاعر نویسنده
خواننده رپر مادر پدر همسر خواهر برادر متهم بازداشتی هنرمند
الأسير الأسيرة المعتقل المعتقلة السجين السجينة المضرب المضربة الناشط الناشطة الصحفي الصحفية الصحافي الصحافية
المحامي المحامية محامي محامية محاميه محاميتها الطالب الطالبة الشاعر الكاتب الكاتبة المدون المدونة المناضل
المناضلة القيادي النائب المعلم المعلمة الدكتور الشيخ السيدة والدة والد شقيق شقيقة زوجة ابنة
""".split()
#: Words that may stand between a role word and the name (political, administrative, retired, his, her).
_SCRIPT_MODIFIERS = set(
    """
سیاسی کارگری مدنی صنفی دانشجویی زن کرد بلوچ عرب بهائی بازنشسته او وی ایشان زندانی
السياسي السياسية الإداري الإدارية الفلسطيني الفلسطينية المحرر المحررة المريض المريضة الأسير الأسيرة
""".split()
)
_SCRIPT_STOP = set(
    """
در از به که را با و برای تا این آن او پس روز امروز دیروز هم نیز بود است شد کرد های ها یک دو سه چهار پنج
شش هفت هشت نه ده سال ماه هفته پیش بعد قبل زندان دادگاه حکم حبس اعتصاب غذا غذای شده شدند کرده کردند کند
کنند دارد داشت داشته نگه گفت گفته اعلام خواست همچنان دیگر درباره وضعیت بازداشت آزاد محکوم
في من إلى الى عن على منذ بعد قبل الذي التي الذين وهو وهي و أن إن قد لا ما يوم اليوم أمس مع حتى ثم أو
سجن السجن محكمة المحكمة إضراب إضرابه الإضراب عام عامين سنة سنوات شهر أشهر ثلاث ثلاثة أربعة خمسة
السبت الأحد الاثنين الثلاثاء الأربعاء الخميس الجمعة
""".split()
)
_NAME_JOINERS = {"أبو", "ابو", "بن", "بنت", "عبد", "آل", "ابن"}

# --- patterns ------------------------------------------------------------------------------

_UPPER = "".join(c for c in map(chr, range(0x41, 0x530)) if c.isupper() and c.isalpha())
_LOWER = "".join(c for c in map(chr, range(0x61, 0x530)) if c.islower() and c.isalpha())
_U, _L = f"[{re.escape(_UPPER)}]", f"[{re.escape(_LOWER)}]"
_WORD = rf"{_U}\.(?!\w)|(?:(?:al|el|ad|as|ash|an|ar|az|ibn|bin)-)?{_U}[\w\-]*(?:[’']\w+)?"
_PARTICLE = r"(?:de|da|do|dos|das|del|della|di|van|von|der|den|ter|ibn|bin|al|el)"
#: A run of capitalised words on one line, particles between them.
_FIRST = rf"{_U}(?<![\w’'\-.]{_U})(?:\.(?!\w)|[\w\-]*(?:[’']\w+)?)"  # starts where an upper-case letter does
_RUN = re.compile(rf"{_FIRST}(?:[ \u00a0]+(?:{_PARTICLE}[ \u00a0]+)?(?:{_WORD}))*")


def _fold_all(words):
    return {fold(w) for w in words}


_ROLES_ALL = sorted({fold(w) for ws in [*ROLE_WORDS.values(), *ACTED_ON.values()] for w in ws}, key=len, reverse=True)
_ROLE_STEMS = {w for w in _ROLES_ALL if " " not in w}
#: single role words: long ones as stems ("Aktivisten", "журналистку"), short ones ("ina", "son") only
#: whole, or they would take "Inaki" and "Sonja"
_LONG_ROLES = {w for w in _ROLE_STEMS if len(w) >= 5}
_SHORT_ROLES = _ROLE_STEMS - _LONG_ROLES
_MULTI_ROLES = {tuple(w.split()) for w in _ROLES_ALL if " " in w}
#: the multi-word roles by their last word, longest first ("former political prisoner" before
#: "political prisoner"): a name's window is read back from its last word, so only the roles
#: ending in that word are compared
_MULTI_BY_LAST: dict[str, list[tuple[str, ...]]] = {}
for _roles in sorted(_MULTI_ROLES, key=lambda roles: (-len(roles), roles)):
    _MULTI_BY_LAST.setdefault(_roles[-1], []).append(_roles)


def _role(word: str) -> str:
    """The role word that `word` is a form of, or ''."""
    folded = fold(word.rstrip(".,:"))
    if folded in _SHORT_ROLES:
        return folded
    for cut in range(len(folded), max(4, len(folded) - 4), -1):  # the longest: "journaliste", not "journalist"
        if folded[:cut] in _LONG_ROLES:
            return folded[:cut]
    return ""


_ROLE_ALT = "|".join(
    re.escape(w) + (r"\w{0,3}" if len(w) >= 5 else r"(?!\w)")
    for w in sorted({w.lower() for ws in ROLE_WORDS.values() for w in ws}, key=len, reverse=True)
)
#: titles as written before a name, capitalised: "Dr. Helen Okafor", "Av. Gülşen Arslan", "Frau Ingrid Hoffmann"
_TITLE_ALT = "|".join(re.escape(t[0].upper() + t[1:]) for t in sorted(_TITLES, key=len, reverse=True))
#: words that never stand between a role word and a name: "of" in "prisoners of Santa Rosa"
_NOT_BETWEEN_WORDS = {
    "de",
    "del",
    "des",
    "du",
    "da",
    "do",
    "of",
    "in",
    "at",
    "from",
    "to",
    "for",
    "aus",
    "von",
    "vom",
    "im",
    "à",
    "a",
    "en",
    "di",
    "nel",
    "nella",
    "no",
    "na",
    "em",
    "i",
    "på",
    "fra",
    "af",
    "til",
    "в",
    "из",
    "на",
    "с",
    "için",
    "ile",
    "ji",
    "li",
    "with",
    "mit",
    "avec",
    "con",
    "com",
    "and",
    "und",
    "et",
    "y",
    "e",
    "ve",
    "og",
    "the",
    "los",
    "las",
    "les",
}
_WINDOW_WORD = re.compile(r"[^\W\d_][\w\-’'.]*[,:]?")
_MARKER_WORDS = set(_MARKERS)
_TITLE_WORDS = {t[0].upper() + t[1:] for t in _TITLES}


def _before(text: str, start: int) -> str:
    """The role word, title or person marker just before a name, with at most two lower-case words between."""
    words = _WINDOW_WORD.findall(text, max(0, start - 60), start)[-5:]
    folded = [fold(w.rstrip(",:")) for w in words]
    for k in range(len(words) - 1, max(-1, len(words) - 4), -1):
        between = words[k + 1 :]
        if between and (
            between[0].endswith((",", ":", "."))
            or not between[0][0].islower()
            or between[0].lower() in _NOT_BETWEEN_WORDS
        ):
            break  # "political" may stand between in "prisoner political X"; "of" in "prisoners of Santa Rosa" not
        for roles in _MULTI_BY_LAST.get(folded[k], ()):  # "political prisoner" before "prisoner"
            if k + 1 >= len(roles) and tuple(folded[k + 1 - len(roles) : k + 1]) == roles:
                return " ".join(roles)
        word = words[k].rstrip(",:")
        if word.rstrip(".") in _TITLE_WORDS or word in _MARKER_WORDS:
            return word.lower()
        role = "" if word.endswith(".") else _role(word)
        if role:
            return role
    return ""


_ACTED_ALT = "|".join(re.escape(w) for ws in ACTED_ON.values() for w in ws if " " not in w)
#: on hunger strike, in each language: "X, en grève de la faim depuis"
_STRIKING = [
    "on hunger strike",
    "en grève de la faim",
    "en huelga de hambre",
    "em greve de fome",
    "in sciopero della fame",
    "im hungerstreik",
    "açlık grevinde",
    "di greva birçîbûnê",
    "i sultestrejke",
    "gose greban",
    "на голодовке",
]
_AFTER = re.compile(
    rf"(?:[ \u00a0]*\(\d{{1,3}}\)|,[ \u00a0]+(?:(?:de[ \u00a0]+)?\d{{1,3}}\b|(?:{'|'.join(_APPOSITION_WORDS)})\b"
    rf"|a[ \u00a0]+(?!(?:la|las|lo|los|le|les|el|o|os|as|um|uma)\b)|(?:{_ACTED_ALT})\w{{0,3}}\b)|"
    rf",?[ \u00a0]+(?i:{_ROLE_ALT}|{'|'.join(_STRIKING)})|[ \u00a0]+(?:{'|'.join(_AFTER_WORDS)})(?!\w))"
)
_LOWER_WORD = re.compile(rf"(?<![\w\-’'])({_L}[\w\-]*)")
_JOIN = re.compile(rf"[ \u00a0]*(?:,[ \u00a0]*)?(?:(?:{'|'.join(_CONJUNCTIONS[:-1])})[ \u00a0]+)?$")

_INSTITUTION_KEYS = _fold_all(_INSTITUTIONS)
# compared as written (lower case), not folded: folded, "março" would take "Marco"
_FUNCTION_KEYS = set(_FUNCTION_WORDS)
_TITLE_KEYS = set(_TITLES)

#: letters of the Arabic script (no digits, no punctuation such as "،"), and the zero-width non-joiner
_ARABIC = "\u0621-\u063a\u0641-\u065f\u066e-\u06d3\u06d5\u06fa-\u06ff\u200c"
_HAS_ARABIC_SCRIPT = re.compile(f"[{_ARABIC}]")
# a role word alone or with the ezafe ("دانشجوی زندانی"), not a plural ("دانشجویان")
_SCRIPT_ROLE = re.compile(
    rf"(?<![{_ARABIC}])({'|'.join(sorted(map(re.escape, _SCRIPT_ROLES), key=len, reverse=True))})"
    rf"(?:\u200c?ی|ی|ه|ة)?(?![{_ARABIC}])"
)
_SCRIPT_WORDS = re.compile(rf"[ \u00a0]*([،,][ \u00a0]*)?([{_ARABIC}]+)")
_GLOSS = re.compile(rf"((?:[{_ARABIC}]+[ \u00a0]+){{0,3}}[{_ARABIC}]+)[ \u00a0]*\(([^()\n]{{3,60}})\)")
_SCRIPT_FOLD = str.maketrans({"ی": "ي", "ى": "ي", "ک": "ك", "ة": "ه", "\u200c": "", "ـ": ""})


def person_key(name: str) -> str:
    """Fold a name to the key that joins its spellings: "İlknur Şahin" and "Ilknur Sahin", "نیک‌پور" and "نيكپور"."""
    return " ".join(fold(part) for part in name.translate(_SCRIPT_FOLD).split())


def _clean(words: list[str]) -> tuple[list[str], str] | None:
    """Trim function words, titles and role words off a run; None if it names no person."""
    keys = [word.lower() for word in words]
    role = ""
    for word in words:
        folded = fold(word)
        if folded in _INSTITUTION_KEYS or folded.endswith(_INSTITUTION_ENDINGS):
            return None
        if (
            len(word) > 1
            and word.isupper()
            and not (len(word) == 2 and word[1] == ".")
            and (len(word) <= 4 or not word.isalpha())
        ):
            return None  # an acronym: "JVA Altwerder", "USP Cold Hollow", "ИК-6" (not an initial, "W.")
        if len(word) == 1:
            return None  # a letter without a dot: "Serinova T Tipi"
    while words and (keys[0] in _FUNCTION_KEYS or keys[0] in _TITLE_KEYS or _role(keys[0])):
        if keys[0] not in _FUNCTION_KEYS:
            role = _role(keys[0]) or keys[0]
        words, keys = words[1:], keys[1:]
    if words and keys[0].endswith(_NOT_NAME_ENDINGS):
        words, keys = words[1:], keys[1:]  # "Ailelerden Nuriye Kaplan": "of the families, Nuriye Kaplan"
    while words and keys[-1] in _FUNCTION_KEYS:
        words, keys = words[:-1], keys[:-1]
    if len(words) < 2 or len(words) > 4 or any(k in _FUNCTION_KEYS for k in keys):
        return None
    if all(len(w) == 2 and w.endswith(".") for w in words):
        return None
    return words, role


def _latin(text: str):
    """(name, role word or '') for each run of capitalised words that names a person."""
    # (start, end, words, role, evidence), or None for a run that names no person
    runs: list[tuple[int, int, list[str], str, bool] | None] = []
    common = None  # words the text writes in lower case: "Though" and "Gets" are not names
    for match in _RUN.finditer(text):
        written = match.group()
        words = written.split()
        end = match.end()
        suffix = ""
        marked = "'" in written or "’" in written
        for i, word in enumerate(words if marked else ()):  # a case suffix ends the name: "Kaplan'ın avukatı"
            base, apostrophe, rest = word.replace("’", "'").partition("'")
            if apostrophe:
                words = words[:i] + [base]
                suffix = rest.lower()
                break
        # one word never names a person (`_clean` wants two): most runs are a sentence's first word
        cleaned = _clean(words) if len(words) > 1 else None
        if cleaned is None:
            runs.append(None)
            continue
        words, role = cleaned
        if common is None:
            common = set(_LOWER_WORD.findall(text))
        while words and words[0].lower() in common:
            words = words[1:]
        while len(words) > 1 and words[-1].lower() in common and not words[-2].endswith("."):
            words = words[:-1]
        if len(words) < 2:
            runs.append(None)
            continue
        role = role or _before(text, match.start())
        evidence = bool(role) or suffix in _PERSON_SUFFIXES or (not suffix and bool(_AFTER.match(text, end)))
        runs.append((match.start(), end, words, role, evidence))
    accepted = [run is not None and run[4] for run in runs]
    # a list shares its evidence: "hunger strikers Selin Korkmaz and Baran Yıldız"
    for _ in range(2):
        for i in range(len(runs) - 1):
            a, b = runs[i], runs[i + 1]
            if a and b and accepted[i] != accepted[i + 1] and _JOIN.match(text[a[1] : b[0]]) and b[0] - a[1] <= 6:
                accepted[i] = accepted[i + 1] = True
    for run, ok in zip(runs, accepted, strict=True):
        if ok and run is not None:  # only a run that names a person is accepted
            yield " ".join(run[2]), run[3]


def _script(text: str):
    """(name, key, role word) for each name in Persian or Arabic script.

    A name counts after a role word or before its Latin spelling.
    """
    aliases = {}  # the key of a name in Persian or Arabic script -> the key of its Latin spelling
    for match in _GLOSS.finditer(text):
        latin = match.group(2).split()
        cleaned = _clean(latin) if _RUN.fullmatch(match.group(2)) else None
        if cleaned is None or len(cleaned[0]) != len(latin):
            continue
        native = match.group(1).split()[-len(latin) :]
        if len(native) == len(latin) and not any(w in _SCRIPT_STOP for w in native):
            key = person_key(" ".join(latin))
            aliases[person_key(" ".join(native))] = key
            yield " ".join(native), key, ""
    for match in _SCRIPT_ROLE.finditer(text):
        pos = match.end()
        words: list[str] = []
        while len(words) < 6:
            word = _SCRIPT_WORDS.match(text, pos)
            if not word or (word.group(1) and any(w not in _SCRIPT_MODIFIERS for w in words)):
                break  # a comma ends the name, but not "his lawyer, X" (وکیل او، X)
            words.append(word.group(2))
            pos = word.end()
        while words and words[0] in _SCRIPT_MODIFIERS:
            words = words[1:]
        if len(words) < 2 or any(
            w in _SCRIPT_STOP or w.endswith("\u200cی") or _SCRIPT_ROLE.fullmatch(w) for w in words[:2]
        ):  # a word with the ezafe ("اجازه‌ی") leads on: no name
            continue
        name = words[:2]
        if len(words) > 2 and words[2] not in _SCRIPT_STOP and (words[1] in _NAME_JOINERS or words[2].startswith("ال")):
            name = words[:3]
        key = person_key(" ".join(name))
        yield " ".join(name), aliases.get(key, key), match.group(1)


def find_people(text: str) -> list[tuple[str, str, str]]:
    """[(name as written, key, role word)] for each person the text names with evidence that it is a person."""
    found, seen = [], set()
    text = text or ""
    script = _HAS_ARABIC_SCRIPT.search(text)
    for name, key, role in _script(text) if script else ():
        if key not in seen:
            seen.add(key)
            found.append((name, key, role))
    for name, role in _latin(text):
        key = person_key(name)
        if key not in seen:
            seen.add(key)
            found.append((name, key, role))
    return found
