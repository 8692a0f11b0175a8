# ruff: noqa: E501  (one fact or template per line reads better than wrapped ones)
"""The retrieval benchmark's data: planted facts with the questions a person would ask, and
deterministic, realistic distractor notes (the same seed gives the same corpus on every machine).

Paraphrase questions share few words with their fact ("who looks after my teeth" for "My dentist is
Dr. Amsel"); exact questions carry a code, ID, number or rare name that appears in the fact. The
distractors are of the same kinds (other people's appointments, other booking codes, other
passwords), so a model that matches only the topic or the shape of a code does not get a free pass.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass


@dataclass(frozen=True)
class Fact:
    text: str
    question: str
    kind: str  # "paraphrase" or "exact"
    topic: str
    held_out: bool = False  # written after the search method was chosen, to check it was not tuned to FACTS


_P, _E = "paraphrase", "exact"
FACTS: list[Fact] = [
    Fact("My dentist is Dr. Amsel; her practice is above the pharmacy on Kastanienallee.", "who looks after my teeth?", _P, "people"),
    Fact("My sister Maren lives in Bergen with her husband Tomas and their twins.", "in which city does my sibling live?", _P, "people"),
    Fact("My brother's boy Otto turns seven in June and is mad about dinosaurs.", "what is my nephew crazy about?", _P, "people"),
    Fact("Our neighbour Mrs. Okafor waters the plants whenever we travel.", "who takes care of the greenery while we're away?", _P, "people"),
    Fact("My manager Priya Raman prefers updates by email, never by chat.", "how does my boss like to be kept informed?", _P, "work"),
    Fact("Grandpa Henrik taught me to sail on Lake Vänern when I was twelve.", "who showed me how to handle a boat?", _P, "people"),
    Fact("Jonas Feld, my best friend from university, now works as a vet in Graz.", "what does my old college buddy do for a living?", _P, "people"),
    Fact("I'm allergic to penicillin: I get hives and my lips swell.", "which antibiotic must I avoid?", _P, "health"),
    Fact("Every morning before breakfast I take 50 micrograms of levothyroxine.", "what pill do I swallow on an empty stomach each day?", _P, "health"),
    Fact("My blood type is O negative.", "what's my blood group?", _P, "health"),
    Fact("The physiotherapist said to do the knee exercises twice a day for six weeks.", "how often should I do my leg rehab routine?", _P, "health"),
    Fact("I broke my left wrist skiing in Verbier in 2017.", "which bone did I fracture on the slopes?", _P, "health"),
    Fact("Cetirizine is what helps me with hay fever every spring.", "what do I take for my seasonal pollen allergy?", _P, "health"),
    Fact("We parked the camper van at the Sørlandet campsite, pitch 42, next to the showers.", "where did we leave the motorhome?", _P, "places"),
    Fact("The spare house key is hidden under the blue flowerpot by the back door.", "where can I find the extra key to get inside?", _P, "places"),
    Fact("My favourite restaurant is Trattoria Da Gino in Lucca; order the pici.", "which eatery do I like best?", _P, "places"),
    Fact("I grew up in a small village called Oberwil near Basel.", "where was my childhood home?", _P, "places"),
    Fact("Our self-storage unit is at Shurgard Wiesbaden, unit 118, second floor.", "where do we keep our boxes in a rented locker?", _P, "places"),
    Fact("The wifi password at the cabin is tangerine-owl-88.", "what's the internet passphrase at our holiday hut?", _P, "passwords"),
    Fact("Garage door code: 4471, then press the star key.", "how do I open the garage?", _P, "passwords"),
    Fact("The combination of my bike lock is 3-9-1-6.", "what numbers open my bicycle padlock?", _P, "passwords"),
    Fact("Office alarm PIN is 20958; disarm it within 30 seconds of entering.", "how do I switch off the burglar alarm at work?", _P, "passwords"),
    Fact("Our wedding anniversary is on the 14th of September.", "on what date did we get married?", _P, "dates"),
    Fact("The car's MOT inspection is due on 3 February 2027.", "when does the vehicle need its roadworthiness test?", _P, "dates"),
    Fact("Mum's birthday is on 22 April; she loves lilies.", "when was my mother born?", _P, "dates"),
    Fact("The lease on our flat ends on 31 August 2027, with three months' notice.", "when does my rental contract expire?", _P, "dates"),
    Fact("Dad's retirement party is on Saturday 9 May at the rowing club.", "when is my father's farewell celebration from his job?", _P, "dates"),
    Fact("I'm leading the migration of the billing system to Postgres, due at the end of Q2.", "what project am I in charge of at the office?", _P, "work"),
    Fact("My employee number at Halden Logistics is HL-20931.", "what is my staff ID at the company?", _P, "work"),
    Fact("The performance review with HR is on Thursday the 12th at 10 am.", "when is my yearly appraisal meeting?", _P, "work"),
    Fact("I work from home on Mondays and Fridays and at the Hamburg office otherwise.", "which days am I remote?", _P, "work"),
    Fact("My salary went up to 68,000 euros a year in January.", "how much do I earn now?", _P, "work"),
    Fact("I can't stand coriander; it tastes like soap to me.", "which herb do I dislike?", _P, "preferences"),
    Fact("Our cat Pixel is a grey British Shorthair who hates the vacuum cleaner.", "what breed is our pet?", _P, "preferences"),
    Fact("I'm learning Portuguese on Tuesday evenings with a tutor called Beatriz.", "what language am I studying?", _P, "preferences"),
    Fact("I run the Hamburg half marathon every April; my best time is 1:47.", "what's my personal record over 21 km?", _P, "preferences"),
    Fact("We keep the emergency cash in the freezer, inside an empty bag of peas.", "where is the rainy-day money hidden?", _P, "places"),
    Fact("Flight to Porto booked with TAP, booking reference KX7Q2P, seat 14C.", "what is booking KX7Q2P for?", _E, "codes"),
    Fact("Insurance policy AZ-5538-0192-77 covers the contents of the house.", "what does policy AZ-5538-0192-77 cover?", _E, "codes"),
    Fact("The router admin password is Zq!m8vR2#Lp.", "where is the password Zq!m8vR2#Lp used?", _E, "passwords"),
    Fact("Ingrid Halvorsen is our landlady; call her about repairs.", "who is Ingrid Halvorsen?", _E, "people"),
    Fact("Tracking number 1Z999AA10123456784 is the parcel with the new monitor.", "what is in parcel 1Z999AA10123456784?", _E, "codes"),
    Fact("Licence plate of the rental car: HH-KR 4521, a silver Skoda.", "which car has the plate HH-KR 4521?", _E, "codes"),
    Fact("The kindergarten fees go to IBAN DE89 3704 0044 0532 0130 00.", "what do I pay to DE89 3704 0044 0532 0130 00?", _E, "codes"),
    Fact("Ticket INC-40417 is the printer outage on the third floor.", "what is ticket INC-40417 about?", _E, "work"),
    Fact("Dr. Wojciechowski is the cardiologist who did my stress test.", "what did Dr. Wojciechowski do for me?", _E, "health"),
    Fact("Invoice 2026-0387 from Müller Elektro is still unpaid.", "has invoice 2026-0387 been paid?", _E, "dates"),
    Fact("The dishwasher's serial number is SMV46KX01E/12; we bought it in 2024.", "which appliance is SMV46KX01E?", _E, "codes"),
]  # fmt: skip

# Written after MMR (storage/diversify.py) was chosen on FACTS; reported on their own.
HELD_OUT: list[Fact] = [
    Fact("Our plumber is Kaspar Lindqvist; he fixed the boiler last winter and charges 60 an hour.", "who repairs our pipes and heating?", _P, "people", True),
    Fact("My daughter Lotte is in year three at the Montessori school on Elbchaussee.", "where does my kid go to class?", _P, "people", True),
    Fact("I need reading glasses for anything closer than an arm's length; the prescription is +1.5.", "how strong are my spectacles?", _P, "health", True),
    Fact("My father-in-law Rolf is diabetic, so bring sugar-free biscuits when we visit.", "what snacks suit my wife's dad?", _P, "people", True),
    Fact("The fuse box is in the cellar behind the bicycle rack.", "where do I go when the power trips?", _P, "places", True),
    Fact("I gave up smoking on 2 March 2023 and haven't had a cigarette since.", "since when have I been off tobacco?", _P, "health", True),
    Fact("My tax adviser Helga Brun files our returns every May.", "who does our annual paperwork for the revenue office?", _P, "people", True),
    Fact("We are saving for a trip to Japan in autumn 2027; so far 3,200 euros.", "how much have we put aside for the Asia holiday?", _P, "dates", True),
    Fact("The kids' swimming lessons are on Wednesdays at 5 pm at the Holthusenbad.", "when do the children practise in the pool?", _P, "dates", True),
    Fact("I keep my passport in the fireproof box on the top shelf of the wardrobe.", "where are my travel documents stored?", _P, "places", True),
    Fact("My colleague Dmitri covers for me whenever I am on leave.", "who takes over my work during my holidays?", _P, "work", True),
    Fact("I have a mild lactose intolerance, so I drink oat milk in my coffee.", "why do I avoid dairy?", _P, "health", True),
    Fact("Locker 77 at the Altona swimming pool holds my spare goggles.", "what is in locker 77?", _E, "places", True),
    Fact("Order WX-88310 from Bergfreunde is the new tent, arriving Friday.", "what is order WX-88310?", _E, "codes", True),
    Fact("Gerlinde Stolzenberg is the piano tuner who comes every January.", "who is Gerlinde Stolzenberg?", _E, "people", True),
    Fact("The building's door intercom code is 5812#.", "what is the code 5812# for?", _E, "passwords", True),
]  # fmt: skip
ALL_FACTS = FACTS + HELD_OUT

FIRST = ["Anna", "Ben", "Clara", "David", "Elif", "Felix", "Greta", "Hugo", "Ines", "Jan", "Kira", "Lars", "Mia"]
FIRST += ["Noah", "Olga", "Paul", "Rosa", "Sven", "Tara", "Umut", "Vera", "Wim", "Yara", "Zoe", "Aaron", "Bea"]
FIRST += ["Carl", "Dora", "Emil", "Fiona", "Gustav", "Hanna", "Ivan", "Jule", "Kai", "Lena", "Moritz", "Nora", "Pia"]
LAST = ["Becker", "Schulz", "Kovac", "Nowak", "Rossi", "Silva", "Dubois", "Jansen", "Berg", "Lund", "Moreau", "Novak"]
LAST += ["Costa", "Weber", "Fischer", "Hofmann", "Kaya", "Yilmaz", "Petrov", "Horvat", "Eriksen", "Bauer", "Vogel"]
LAST += ["Krause", "Brandt", "Lang", "Kraus", "Werner", "Ziegler", "Frank"]
CITIES = ["Lisbon", "Kyoto", "Oslo", "Vienna", "Lyon", "Krakow", "Seville", "Utrecht", "Gdansk", "Tallinn", "Malmo"]
CITIES += ["Bremen", "Leipzig", "Turin", "Ghent", "Bordeaux", "Valencia", "Zagreb", "Ljubljana", "Aarhus", "Tromso"]
CITIES += ["Dublin", "Cork", "Bilbao", "Genoa", "Salzburg", "Innsbruck"]
SHOPS = ["Lidl", "the farmers' market", "Rewe", "the corner shop", "IKEA", "the bakery", "Decathlon", "Aldi"]
ITEMS = ["apples", "rye bread", "oat milk", "coffee beans", "tomatoes", "lentils", "batteries", "light bulbs"]
ITEMS += ["dish soap", "rice", "pasta", "olive oil", "eggs", "yoghurt", "spinach", "onions", "paper towels"]
ITEMS += ["cat food", "lemons", "honey"]
PROFESSIONS = ["dentist", "plumber", "electrician", "physiotherapist", "tax adviser", "architect", "cardiologist"]
PROFESSIONS += ["dermatologist", "optician", "piano teacher", "locksmith", "gardener", "vet", "notary", "pharmacist"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October"]
MONTHS += ["November", "December"]
TOPICS = ["the budget", "the quarterly report", "the website relaunch", "the hiring plan", "the server costs"]
TOPICS += ["the new logo", "the customer survey", "the office move", "the security audit", "the data migration"]
TOPICS += ["the onboarding docs"]
SERVICES = ["Netflix", "Spotify", "the bank app", "the tax portal", "the school portal", "the gym app", "Dropbox"]
SERVICES += ["the library account", "the electricity provider", "the phone contract", "the mailbox", "the NAS"]
DISHES = ["shakshuka", "risotto", "dal", "ramen", "paella", "goulash", "moussaka", "pad thai", "gnocchi", "tagine"]
BOOKS = ["The Overstory", "Stoner", "Piranesi", "The Remains of the Day", "Middlemarch", "Klara and the Sun"]
THINGS = ["car", "bike", "flat", "laptop", "phone", "camera", "piano", "boat", "holiday home"]
PROBLEMS = ["VPN drop-outs", "broken badge reader", "slow laptop", "email quota", "projector fault", "printer jam"]
AIRLINES = ["Lufthansa", "KLM", "Iberia", "SAS", "easyJet", "Ryanair", "Austrian", "Swiss"]


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def _code(rng: random.Random, n: int, alphabet: str = string.ascii_uppercase + string.digits) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _digits(rng: random.Random, n: int) -> str:
    return _code(rng, n, string.digits)


def _date(rng: random.Random) -> str:
    return f"{rng.randint(1, 28)} {rng.choice(MONTHS)}"


def _password(rng: random.Random) -> str:
    words = ["maple", "comet", "otter", "cobalt", "violet", "pepper", "harbor", "quartz", "ember", "lotus"]
    if rng.random() < 0.5:
        return f"{rng.choice(words)}-{rng.choice(words)}-{rng.randint(10, 99)}"
    return _code(rng, 10, string.ascii_letters + string.digits + "!#%")


_TEMPLATES = [
    lambda r: (
        f"Bought {r.choice(ITEMS)}, {r.choice(ITEMS)} and {r.choice(ITEMS)} at {r.choice(SHOPS)} for "
        f"{r.randint(3, 90)} euros."
    ),
    lambda r: f"Meeting with {_name(r)} about {r.choice(TOPICS)} on {r.choice(WEEKDAYS)} at {r.randint(8, 17)}:00.",
    lambda r: (
        f"{_name(r)}'s birthday is on {_date(r)}; maybe get {r.choice(['a book', 'flowers', 'wine', 'a scarf'])}."
    ),
    lambda r: f"{_name(r)} is a {r.choice(PROFESSIONS)} in {r.choice(CITIES)}, recommended by {r.choice(FIRST)}.",
    lambda r: f"{r.choice(FIRST)} has an appointment with the {r.choice(PROFESSIONS)} on {_date(r)}.",
    lambda r: (
        f"Booked {r.choice(AIRLINES)} to {r.choice(CITIES)} on {_date(r)}, booking reference "
        f"{_code(r, 6)}, seat {r.randint(1, 32)}{r.choice('ABCDEF')}."
    ),
    lambda r: (
        f"Policy {_code(r, 2, string.ascii_uppercase)}-{_digits(r, 4)}-{_digits(r, 4)}-{_digits(r, 2)} "
        f"is the insurance for the {r.choice(THINGS)}."
    ),
    lambda r: f"Parcel {_digits(r, 2)}{_code(r, 16)} from {r.choice(SHOPS)} should arrive on {r.choice(WEEKDAYS)}.",
    lambda r: (
        f"Ticket INC-{_digits(r, 5)} is about the {r.choice(PROBLEMS)} in {r.choice(['room 2.14', 'the lobby', 'finance', 'the lab'])}."
    ),
    lambda r: (
        f"Invoice {r.choice(['2024', '2025', '2026'])}-{_digits(r, 4)} from {rng_company(r)} "
        f"for {r.randint(40, 2500)} euros is {r.choice(['paid', 'due next week', 'disputed', 'overdue'])}."
    ),
    lambda r: f"The password for {r.choice(SERVICES)} is {_password(r)}.",
    lambda r: (
        f"The PIN for the {r.choice(['safe', 'gate', 'locker', 'phone', 'card'])} at "
        f"{r.choice(CITIES)} is {_digits(r, r.choice([4, 5, 6]))}."
    ),
    lambda r: f"Call {_name(r)} about {r.choice(TOPICS)} before {r.choice(WEEKDAYS)}.",
    lambda r: f"{r.choice(FIRST)} recommended a restaurant in {r.choice(CITIES)}: try the {r.choice(DISHES)}.",
    lambda r: (
        f"Recipe idea: {r.choice(DISHES)} with {r.choice(ITEMS)} and {r.choice(ITEMS)}, {r.randint(20, 90)} minutes."
    ),
    lambda r: (
        f"Finished {r.choice(BOOKS)}; {r.choice(['loved it', 'too slow', 'beautiful prose', 'lent it to ' + r.choice(FIRST)])}."
    ),
    lambda r: (
        f"Weather in {r.choice(CITIES)} on {_date(r)}: {r.choice(['rain', 'sunny', 'snow', 'windy', 'fog'])}, "
        f"{r.randint(-5, 32)} degrees."
    ),
    lambda r: (
        f"Reminder: {r.choice(['take out the recycling', 'water the balcony tomatoes', 'defrost the fridge', 'renew the parking permit', 'clean the gutters'])} on {r.choice(WEEKDAYS)}."
    ),
    lambda r: (
        f"The {r.choice(['washing machine', 'fridge', 'oven', 'boiler', 'TV', 'printer'])} serial number is "
        f"{_code(r, 3, string.ascii_uppercase)}{_digits(r, 2)}{_code(r, 5)}/{_digits(r, 2)}."
    ),
    lambda r: (
        f"Car {_code(r, 2, string.ascii_uppercase)}-{_code(r, 2, string.ascii_uppercase)} {_digits(r, 4)} "
        f"needs {r.choice(['new tyres', 'an oil change', 'a brake check', 'its service'])} at {rng_company(r)}."
    ),
    lambda r: (
        f"Work note: {r.choice(TOPICS)} is {r.choice(['on track', 'late', 'blocked', 'done'])}; "
        f"next step with {_name(r)}."
    ),
    lambda r: f"{_name(r)} lives in {r.choice(CITIES)} and works as a {r.choice(PROFESSIONS)}.",
    lambda r: (
        f"Trip idea: {r.choice(['hiking', 'kayaking', 'a food tour', 'museums', 'cycling'])} around "
        f"{r.choice(CITIES)} in {r.choice(MONTHS)}."
    ),
    lambda r: (
        f"Gym: {r.choice(['squats', 'bench press', 'rows', 'deadlifts'])} {r.randint(3, 5)}x{r.randint(5, 12)} "
        f"at {r.randint(20, 120)} kg."
    ),
    lambda r: (
        f"Paid {r.randint(20, 900)} euros to IBAN DE{_digits(r, 2)} {_digits(r, 4)} {_digits(r, 4)} "
        f"{_digits(r, 4)} {_digits(r, 4)} {_digits(r, 2)} for {r.choice(['rent', 'the plumber', 'music lessons', 'the club'])}."
    ),
    lambda r: (
        f"{r.choice(FIRST)}'s employee number at {rng_company(r)} is {_code(r, 2, string.ascii_uppercase)}-{_digits(r, 5)}."
    ),
    lambda r: (
        f"{r.choice(FIRST)} said the {r.choice(['train', 'ferry', 'bus'])} to {r.choice(CITIES)} was "
        f"{r.randint(5, 90)} minutes late on {r.choice(WEEKDAYS)}."
    ),
]


def rng_company(r: random.Random) -> str:
    return f"{r.choice(LAST)} {r.choice(['GmbH', 'Elektro', 'Logistics', 'Partners', 'Bau', 'Consulting'])}"


def distractors(n: int, seed: int = 20) -> list[str]:
    """n distinct notes; none contains a planted fact's code, ID or rare name."""
    rng = random.Random(seed)
    planted = {"KX7Q2P", "AZ-5538", "Zq!m8vR2", "Halvorsen", "1Z999AA", "HH-KR 4521", "INC-40417", "2026-0387"}
    planted |= {"SMV46KX01E", "Wojciechowski", "DE89 3704", "WX-88310", "Stolzenberg", "5812"}
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        note = rng.choice(_TEMPLATES)(rng)
        if note in seen or any(p in note for p in planted):
            continue
        seen.add(note)
        out.append(note)
    return out
