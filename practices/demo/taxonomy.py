"""Reference taxonomy for KB: stable codes with Finnish, Swedish and English labels.

Codes never change once published (they are facet values in URLs and the API);
labels may be edited in the admin. Loaded idempotently by ``load_taxonomy``.
"""

# Statistics Finland region (maakunta) codes.
REGIONS = [
    ("01", "Uusimaa", "Nyland", "Uusimaa"),
    ("02", "Varsinais-Suomi", "Egentliga Finland", "Southwest Finland"),
    ("04", "Satakunta", "Satakunta", "Satakunta"),
    ("05", "Kanta-Häme", "Egentliga Tavastland", "Kanta-Häme"),
    ("06", "Pirkanmaa", "Birkaland", "Pirkanmaa"),
    ("07", "Päijät-Häme", "Päijänne-Tavastland", "Päijät-Häme"),
    ("08", "Kymenlaakso", "Kymmenedalen", "Kymenlaakso"),
    ("09", "Etelä-Karjala", "Södra Karelen", "South Karelia"),
    ("10", "Etelä-Savo", "Södra Savolax", "South Savo"),
    ("11", "Pohjois-Savo", "Norra Savolax", "North Savo"),
    ("12", "Pohjois-Karjala", "Norra Karelen", "North Karelia"),
    ("13", "Keski-Suomi", "Mellersta Finland", "Central Finland"),
    ("14", "Etelä-Pohjanmaa", "Södra Österbotten", "South Ostrobothnia"),
    ("15", "Pohjanmaa", "Österbotten", "Ostrobothnia"),
    ("16", "Keski-Pohjanmaa", "Mellersta Österbotten", "Central Ostrobothnia"),
    ("17", "Pohjois-Pohjanmaa", "Norra Österbotten", "North Ostrobothnia"),
    ("18", "Kainuu", "Kajanaland", "Kainuu"),
    ("19", "Lappi", "Lappland", "Lapland"),
    ("21", "Ahvenanmaa", "Åland", "Åland"),
]

THEMES = [
    ("language", "Kielen oppiminen", "Språkinlärning", "Language learning"),
    ("employment", "Työllistyminen", "Sysselsättning", "Employment"),
    ("education", "Koulutus ja opiskelu", "Utbildning och studier", "Education and studies"),
    ("guidance", "Neuvonta ja ohjaus", "Rådgivning och vägledning", "Advice and guidance"),
    ("family", "Perheet ja vanhemmuus", "Familjer och föräldraskap", "Families and parenting"),
    ("youth", "Lapset ja nuoret", "Barn och unga", "Children and young people"),
    ("health", "Terveys ja hyvinvointi", "Hälsa och välbefinnande", "Health and wellbeing"),
    ("participation", "Osallisuus ja yhteisöt", "Delaktighet och gemenskap", "Participation and community"),
    ("culture", "Kulttuuri ja taide", "Kultur och konst", "Culture and the arts"),
    ("sport", "Liikunta ja urheilu", "Idrott och motion", "Sport and physical activity"),
    ("housing", "Asuminen ja arki", "Boende och vardag", "Housing and everyday life"),
    ("digital", "Digitaidot", "Digitala färdigheter", "Digital skills"),
    ("equality", "Yhdenvertaisuus ja syrjinnän ehkäisy", "Likabehandling och motverkande av diskriminering", "Equality and anti-discrimination"),
    ("volunteering", "Vapaaehtoistoiminta", "Frivilligverksamhet", "Volunteering"),
]

TARGET_GROUPS = [
    ("newcomers", "Äskettäin maahan muuttaneet", "Nyanlända", "Newly arrived immigrants"),
    ("refugees", "Pakolaiset ja kansainvälistä suojelua saavat", "Flyktingar och personer med internationellt skydd", "Refugees and beneficiaries of international protection"),
    ("women", "Naiset", "Kvinnor", "Women"),
    ("youth", "Nuoret (15–29)", "Unga (15–29)", "Young people (15–29)"),
    ("children", "Lapset", "Barn", "Children"),
    ("families", "Lapsiperheet", "Barnfamiljer", "Families with children"),
    ("parents_at_home", "Kotona lapsia hoitavat vanhemmat", "Föräldrar som är hemma med barn", "Parents caring for children at home"),
    ("jobseekers", "Työnhakijat", "Arbetssökande", "Jobseekers"),
    ("students", "Opiskelijat", "Studerande", "Students"),
    ("older_people", "Ikääntyneet", "Äldre", "Older people"),
    ("labour_migrants", "Työperäiset maahanmuuttajat", "Arbetskraftsinvandrare", "Labour migrants"),
    ("unaccompanied_minors", "Ilman huoltajaa tulleet alaikäiset", "Ensamkommande minderåriga", "Unaccompanied minors"),
    ("highly_educated", "Korkeasti koulutetut", "Högutbildade", "Highly educated immigrants"),
    ("professionals", "Kotoutumistyön ammattilaiset", "Yrkesverksamma inom integration", "Integration professionals"),
]

ORGANISATION_TYPES = [
    ("municipality", "Kunta", "Kommun", "Municipality"),
    ("wellbeing_county", "Hyvinvointialue", "Välfärdsområde", "Wellbeing services county"),
    ("association", "Yhdistys tai järjestö", "Förening eller organisation", "Association or NGO"),
    ("library", "Kirjasto", "Bibliotek", "Library"),
    ("museum", "Museo", "Museum", "Museum"),
    ("educational", "Oppilaitos", "Läroanstalt", "Educational institution"),
    ("state", "Valtion viranomainen", "Statlig myndighet", "State authority"),
    ("parish", "Seurakunta", "Församling", "Parish"),
    ("company", "Yritys", "Företag", "Company"),
    ("sports_club", "Urheiluseura", "Idrottsförening", "Sports club"),
]

# ISO 639-1 codes; labels are the language names in fi, sv and en.
LANGUAGES = [
    ("fi", "suomi", "finska", "Finnish"),
    ("sv", "ruotsi", "svenska", "Swedish"),
    ("en", "englanti", "engelska", "English"),
    ("ar", "arabia", "arabiska", "Arabic"),
    ("so", "somali", "somaliska", "Somali"),
    ("fa", "persia (farsi/dari)", "persiska (farsi/dari)", "Persian (Farsi/Dari)"),
    ("ru", "venäjä", "ryska", "Russian"),
    ("uk", "ukraina", "ukrainska", "Ukrainian"),
    ("ku", "kurdi", "kurdiska", "Kurdish"),
    ("ti", "tigrinja", "tigrinja", "Tigrinya"),
    ("ps", "pashto", "pashto", "Pashto"),
    ("fr", "ranska", "franska", "French"),
    ("es", "espanja", "spanska", "Spanish"),
    ("zh", "kiina", "kinesiska", "Chinese"),
    ("vi", "vietnam", "vietnamesiska", "Vietnamese"),
    ("th", "thai", "thai", "Thai"),
    ("et", "viro", "estniska", "Estonian"),
    ("sq", "albania", "albanska", "Albanian"),
    ("tr", "turkki", "turkiska", "Turkish"),
]

FUNDING_SOURCES = [
    ("municipality", "Kunnan rahoitus", "Kommunal finansiering", "Municipal funding"),
    ("wellbeing_county", "Hyvinvointialueen rahoitus", "Välfärdsområdets finansiering", "Wellbeing services county funding"),
    ("state_grant", "Valtionavustus", "Statsunderstöd", "State grant"),
    ("stea", "STEA-avustus", "STEA-understöd", "STEA grant (social welfare and health organisations)"),
    ("esf", "Euroopan sosiaalirahasto plus (ESR+)", "Europeiska socialfonden plus (ESF+)", "European Social Fund Plus (ESF+)"),
    ("amif", "Turvapaikka-, maahanmuutto- ja kotouttamisrahasto (AMIF)", "Asyl-, migrations- och integrationsfonden (AMIF)", "Asylum, Migration and Integration Fund (AMIF)"),
    ("okm", "Opetus- ja kulttuuriministeriö", "Undervisnings- och kulturministeriet", "Ministry of Education and Culture"),
    ("foundation", "Säätiörahoitus", "Stiftelsefinansiering", "Foundation funding"),
    ("business", "Yritysyhteistyö", "Företagssamarbete", "Business partnership"),
    ("own", "Omarahoitus ja vapaaehtoistyö", "Egen finansiering och frivilligarbete", "Own funding and volunteer work"),
]

ACTIVITY_FORMS = [
    ("club", "Kerho", "Klubb", "Club"),
    ("course", "Kurssi tai koulutus", "Kurs eller utbildning", "Course or training"),
    ("guidance_point", "Neuvontapiste", "Rådgivningspunkt", "Guidance point"),
    ("mentoring", "Mentorointi", "Mentorskap", "Mentoring"),
    ("peer_group", "Vertaisryhmä", "Kamratgrupp", "Peer group"),
    ("event_series", "Tapahtumasarja", "Evenemangsserie", "Event series"),
    ("volunteering", "Vapaaehtoistoiminta", "Frivilligverksamhet", "Volunteering"),
    ("language_cafe", "Kielikahvila", "Språkkafé", "Language café"),
    ("outreach", "Jalkautuva työ", "Uppsökande arbete", "Outreach work"),
    ("online_service", "Verkkopalvelu", "Webbtjänst", "Online service"),
    ("staff_training", "Henkilöstön koulutus", "Personalutbildning", "Staff training"),
]
