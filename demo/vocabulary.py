"""The words and kinds of things demo data is made of."""

from fleet.models import VehicleType

FIRST_NAMES = (
    "Emma", "Liam", "Sophie", "Noah", "Julia", "Lucas", "Mila", "Daan", "Tess", "Sem",
    "Anna", "Finn", "Sara", "Levi", "Eva", "Milan", "Lotte", "Jesse", "Nora", "Thijs",
    "Fatima", "Mohamed", "Yara", "Adam", "Zoë", "Omar", "Lina", "Ravi", "Mei", "Jonas",
    "Ines", "Mateo", "Chloé", "Pieter", "Hanna", "Bram", "Amira", "Kofi", "Elif", "Tom",
)  # fmt: skip
LAST_NAMES = (
    "de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen",
    "Visser", "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters",
    "Hendriks", "van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra", "Smits",
    "de Graaf", "van der Meer", "Kaya", "Yilmaz", "El Amrani", "Nguyen", "Martens",
    "Kowalski", "Schmidt", "Dubois", "Rossi", "Garcia", "Okafor", "Chen", "Singh",
)  # fmt: skip
STREETS = (
    "Keizersgracht", "Herengracht", "Damrak", "Kalverstraat", "Oudegracht", "Coolsingel",
    "Lange Voorhout", "Stationsplein", "Marktstraat", "Kerkstraat", "Dorpsstraat",
    "Molenweg", "Schoolstraat", "Julianalaan", "Wilhelminastraat", "Beatrixlaan",
    "Nieuwstraat", "Hoofdweg", "Parklaan", "Vondelstraat", "Rembrandtplein",
    "Zeestraat", "Havenkade", "Spoorlaan", "Emmasingel", "Breestraat", "Lindenlaan",
)  # fmt: skip
CITIES = (
    "Amsterdam", "Rotterdam", "Den Haag", "Utrecht", "Eindhoven", "Groningen", "Tilburg",
    "Almere", "Breda", "Nijmegen", "Haarlem", "Arnhem", "Leiden", "Maastricht", "Delft",
    "Zwolle", "Amersfoort", "Den Bosch", "Leeuwarden", "Enschede",
)  # fmt: skip
DEPOTS = (
    "LogiTrack Hub Amsterdam, Abberdaan 200, 1046 AB Amsterdam",
    "LogiTrack Hub Rotterdam, Waalhaven Zuidzijde 19, 3089 JH Rotterdam",
    "LogiTrack Hub Utrecht, Atoomweg 50, 3542 AB Utrecht",
    "LogiTrack Hub Eindhoven, Flight Forum 2, 5657 DA Eindhoven",
    "LogiTrack Hub Tilburg, Ringbaan-West 240, 5038 KE Tilburg",
    "LogiTrack Hub Groningen, Osloweg 110, 9723 BX Groningen",
)
POSTCODE_LETTERS = "ABCDEGHJKLMNPRSTVWXZ"
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
DELIVERY_NOTES = (
    "Leave with the neighbours if nobody is home.",
    "Call on arrival.",
    "Fragile: handle with care.",
    "Ring the bell twice.",
    "Deliver to the reception desk.",
    "Side entrance, around the back.",
)
FAILURE_REASONS = (
    "Recipient not at home",
    "Address not found",
    "Refused by the recipient",
    "Building not accessible",
    "Parcel damaged in transit",
)
CANCEL_REASONS = (
    "Cancelled by the sender",
    "Duplicate order",
    "Recipient moved away",
    "Order withdrawn by the customer",
)
MAINTENANCE_REASONS = (
    "Scheduled service",
    "Annual inspection",
    "Brake pads replaced",
    "Tyre change",
    "Engine warning light",
    "Bodywork repair after a scrape",
)
# (type, share, (make, model) pairs, capacity range in kg)
VEHICLE_KINDS = (
    (
        VehicleType.VAN,
        45,
        (
            ("Ford", "Transit"),
            ("Mercedes-Benz", "Sprinter"),
            ("Renault", "Master"),
            ("Volkswagen", "Crafter"),
            ("Fiat", "Ducato"),
        ),
        (800, 1500),
    ),
    (
        VehicleType.TRUCK,
        20,
        (("DAF", "LF"), ("Volvo", "FL"), ("Mercedes-Benz", "Atego"), ("Scania", "P 280")),
        (4000, 12000),
    ),
    (
        VehicleType.CAR,
        15,
        (("Volkswagen", "Caddy"), ("Citroën", "Berlingo"), ("Toyota", "Proace City")),
        (300, 650),
    ),
    (VehicleType.MOTORCYCLE, 10, (("Honda", "NSS 125"), ("Yamaha", "NMAX")), (25, 60)),
    (VehicleType.BICYCLE, 10, (("Urban Arrow", "Cargo L"), ("Babboe", "Pro Bike")), (80, 150)),
)
