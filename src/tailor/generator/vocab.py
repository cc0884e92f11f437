"""Word lists the generator builds names, texts and messy free-text values from."""

from __future__ import annotations

# category -> (median price in USD, nouns, adjectives, tags)
CATEGORIES: dict[str, tuple[float, tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "electronics": (140.0, ("headphones", "speaker", "charger", "smartwatch", "tablet", "earbuds", "webcam"),
                    ("wireless", "bluetooth", "noise-cancelling", "portable", "smart", "fast-charging"),
                    ("audio", "wireless", "bluetooth", "gadget", "tech")),
    "home_kitchen": (45.0, ("blender", "skillet", "knife set", "kettle", "cutting board", "coffee grinder"),
                     ("stainless", "nonstick", "ceramic", "compact", "cast-iron", "electric"),
                     ("kitchen", "cooking", "home", "cookware", "coffee")),
    "womens_fashion": (55.0, ("dress", "blouse", "cardigan", "skirt", "jumpsuit", "trench coat"),
                       ("linen", "floral", "wrap", "oversized", "cotton", "silk"),
                       ("women", "fashion", "summer", "office", "casual")),
    "mens_fashion": (50.0, ("shirt", "chinos", "hoodie", "blazer", "polo", "parka"),
                     ("slim-fit", "organic", "oxford", "merino", "relaxed", "waterproof"),
                     ("men", "fashion", "casual", "workwear", "outerwear")),
    "shoes": (85.0, ("running shoes", "sneakers", "boots", "sandals", "loafers", "trail shoes"),
              ("cushioned", "leather", "lightweight", "waterproof", "suede", "breathable"),
              ("footwear", "running", "outdoor", "leather", "sport")),
    "beauty": (25.0, ("serum", "moisturizer", "lipstick", "shampoo", "sunscreen", "face mask"),
               ("hydrating", "vegan", "fragrance-free", "matte", "organic", "spf50"),
               ("skincare", "haircare", "makeup", "vegan", "natural")),
    "sports_outdoors": (70.0, ("yoga mat", "tent", "backpack", "dumbbells", "bike helmet", "water bottle"),
                        ("ultralight", "insulated", "adjustable", "foldable", "durable", "non-slip"),
                        ("fitness", "camping", "hiking", "yoga", "cycling")),
    "toys_games": (30.0, ("board game", "puzzle", "building set", "plush toy", "puzzle cube", "rc car"),
                   ("educational", "family", "wooden", "strategy", "colorful", "cooperative"),
                   ("kids", "games", "family", "puzzle", "gift")),
    "books": (16.0, ("novel", "cookbook", "biography", "thriller", "travel guide", "graphic novel"),
              ("bestselling", "illustrated", "hardcover", "paperback", "award-winning", "signed"),
              ("reading", "fiction", "nonfiction", "gift", "bestseller")),
    "grocery": (9.0, ("espresso beans", "olive oil", "green tea", "granola", "dark chocolate", "pasta"),
                ("organic", "fair-trade", "gluten-free", "single-origin", "artisan", "cold-pressed"),
                ("food", "organic", "coffee", "snacks", "pantry")),
    "pet_supplies": (28.0, ("dog bed", "cat tree", "leash", "pet food", "scratching post", "chew toy"),
                     ("orthopedic", "grain-free", "reflective", "washable", "interactive", "sturdy"),
                     ("dog", "cat", "pets", "pet-care", "toys")),
    "garden": (38.0, ("planter", "hose", "pruning shears", "seed kit", "raised bed", "garden lights"),
               ("solar", "ergonomic", "weatherproof", "self-watering", "galvanized", "heirloom"),
               ("garden", "outdoor", "plants", "patio", "solar")),
    "jewelry": (95.0, ("necklace", "ring", "earrings", "bracelet", "pendant", "watch"),
                ("sterling", "gold-plated", "minimalist", "handmade", "vintage", "gemstone"),
                ("jewelry", "gift", "silver", "gold", "accessories")),
    "baby": (35.0, ("stroller", "baby carrier", "onesie", "bottle set", "crib sheet", "teether"),
             ("organic", "bpa-free", "convertible", "soft", "hypoallergenic", "lightweight"),
             ("baby", "newborn", "parenting", "nursery", "gift")),
    "automotive": (40.0, ("dash cam", "car vacuum", "phone mount", "seat cover", "jump starter", "wax kit"),
                   ("heavy-duty", "universal", "magnetic", "cordless", "premium", "all-weather"),
                   ("car", "auto", "accessories", "cleaning", "travel")),
    "office": (22.0, ("notebook", "desk lamp", "fountain pen", "monitor stand", "planner", "desk organizer"),
               ("ergonomic", "recycled", "led", "bamboo", "dotted", "adjustable"),
               ("office", "stationery", "desk", "productivity", "study")),
}

BRAND_SYLLABLES_A: tuple[str, ...] = (
    "Nor", "Lu", "Ve", "Ka", "Zen", "Or", "Bri", "Ta", "Mo", "Quin", "Sol", "Ar", "Fe", "Hal", "Ri", "Co",
    "Ela", "Pax", "Vo", "Um", "Kel", "Sa", "Tor", "Wi",
)
BRAND_SYLLABLES_B: tuple[str, ...] = (
    "thpeak", "mio", "lora", "ndo", "vira", "bit", "sto", "rova", "line", "tex", "aro", "wick", "nova",
    "dale", "mark", "sen", "ridge", "quest", "fold", "craft",
)

FIRST_NAMES: tuple[str, ...] = (
    "Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hannah", "Ivan", "Julia", "Karl", "Lena",
    "Max", "Nora", "Oscar", "Paula", "Quentin", "Rosa", "Sam", "Tara", "Umar", "Vera", "Will", "Yara",
    "Zoe", "Liam", "Olivia", "Noah", "Mia", "Lucas", "Sofia", "Leo", "Amelia", "Ethan", "Chloe", "Mateo",
    "Isla", "Hugo", "Elena", "Jonas",
)
LAST_NAMES: tuple[str, ...] = (
    "Smith", "Müller", "Garcia", "Johnson", "Schmidt", "Martin", "Brown", "Rossi", "Dubois", "Jansen",
    "Lopez", "Wilson", "Fischer", "Bernard", "Taylor", "Weber", "Moreau", "Andersson", "Clark", "Novak",
    "Kowalski", "Lee", "Walker", "Becker", "Hall", "Young", "King", "Wright", "Green", "Baker",
)

# ISO code -> (share of persons, spellings as CRMs hold them, cities, currency, phone prefix, email domains)
COUNTRIES: dict[str, tuple[float, tuple[str, ...], tuple[str, ...], str, str, tuple[str, ...]]] = {
    "US": (0.38, ("United States", "US", "USA", "united states", " U.S.A. ", "United States of America"),
           ("New York", "Chicago", "Austin", "Seattle", "Denver"), "USD", "+1",
           ("gmail.com", "yahoo.com", "outlook.com", "icloud.com")),
    "GB": (0.12, ("United Kingdom", "UK", "GB", "great britain", " England "),
           ("London", "Manchester", "Leeds", "Bristol"), "GBP", "+44",
           ("gmail.com", "btinternet.com", "outlook.com", "yahoo.co.uk")),
    "DE": (0.12, ("Germany", "DE", " germany ", "Deutschland", "GERMANY"),
           ("Berlin", "München", "Hamburg", "Köln"), "EUR", "+49",
           ("gmail.com", "gmx.de", "web.de", "t-online.de")),
    "FR": (0.08, ("France", "FR", "france ", "République française"),
           ("Paris", "Lyon", "Marseille", "Toulouse"), "EUR", "+33",
           ("gmail.com", "orange.fr", "free.fr", "outlook.fr")),
    "CA": (0.06, ("Canada", "CA", " canada"), ("Toronto", "Montreal", "Vancouver"), "USD", "+1",
           ("gmail.com", "outlook.com", "yahoo.ca")),
    "NL": (0.05, ("Netherlands", "NL", "the netherlands", "Holland", "Nederland"),
           ("Amsterdam", "Rotterdam", "Utrecht"), "EUR", "+31", ("gmail.com", "ziggo.nl", "outlook.com")),
    "ES": (0.05, ("Spain", "ES", "España", " spain"), ("Madrid", "Barcelona", "Valencia"), "EUR", "+34",
           ("gmail.com", "hotmail.es", "outlook.com")),
    "IT": (0.05, ("Italy", "IT", "Italia", "italy "), ("Rome", "Milan", "Turin"), "EUR", "+39",
           ("gmail.com", "libero.it", "outlook.com")),
    "AU": (0.05, ("Australia", "AU", "australia"), ("Sydney", "Melbourne", "Brisbane"), "USD", "+61",
           ("gmail.com", "bigpond.com", "outlook.com")),
    "SE": (0.04, ("Sweden", "SE", "Sverige", "sweden"), ("Stockholm", "Gothenburg", "Malmö"), "EUR", "+46",
           ("gmail.com", "telia.se", "outlook.com")),
}

GENDER_SPELLINGS: dict[str, tuple[str, ...]] = {
    "female": ("Female", "female", "F", "woman"),
    "male": ("Male", "male", "M", "man"),
    "non_binary": ("Non-binary", "non-binary", "nonbinary"),
}
LOYALTY_TIERS: tuple[str, ...] = ("bronze", "silver", "gold", "platinum")

USER_AGENTS: dict[str, tuple[str, ...]] = {
    "desktop": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/128.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.5 Safari/605.1.15",
        "Mozilla/5.0 (X11; Linux x86_64; rv:129.0) Gecko/20100101 Firefox/129.0",
    ),
    "mobile": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.5 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/128.0.0.0 Mobile Safari/537.36",
    ),
    "tablet": (
        "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.5 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/128.0.0.0 Safari/537.36",
    ),
}
SITE = "https://shop.example-store.com"
REFERRERS: tuple[str, ...] = (
    "",
    "https://www.google.com/",
    "https://www.bing.com/",
    "https://www.facebook.com/",
    "https://www.instagram.com/",
    "https://newsletter.example-store.com/",
    "https://www.pinterest.com/",
)
REFERRER_SHARE = (0.35, 0.30, 0.05, 0.10, 0.08, 0.07, 0.05)
UTM_SUFFIXES: tuple[str, ...] = (
    "",
    "?utm_source=google&utm_medium=cpc&utm_campaign=autumn_sale",
    "?utm_source=newsletter&utm_medium=email&utm_campaign=weekly",
    "?gclid=Cj0KCQjw",
    "?utm_source=facebook&utm_medium=social",
)
FEATURES: tuple[str, ...] = ("wishlist", "size_guide", "compare", "store_locator", "reviews", "share")
REC_PLACEMENTS: tuple[str, ...] = ("home_carousel", "pdp_similar", "cart_upsell")

TICKET_CHANNELS: tuple[str, ...] = ("email", "chat", "phone")
NEGATIVE_SUBJECTS: tuple[str, ...] = (
    "Refund still not received",
    "Order cancelled without explanation",
    "Very disappointed with my order",
    "Broken item, want my money back",
)
NEGATIVE_BODIES: tuple[str, ...] = (
    "My {title} from {brand} arrived broken and I returned it two weeks ago. I am still waiting for the "
    "refund. This is terrible service and really frustrating.",
    "You cancelled my order for the {title} and nobody told me why. Awful experience, I am angry and will "
    "not order again.",
    "The {brand} {noun} stopped working after two days. Poor quality, very disappointed. Please refund me.",
    "Worst support ever. The {title} was damaged, the refund is late and nobody answers. Unacceptable.",
)
POSITIVE_SUBJECTS: tuple[str, ...] = (
    "Thank you!",
    "Love my new order",
    "Great service",
)
POSITIVE_BODIES: tuple[str, ...] = (
    "Just wanted to say I love the {title}. {brand} quality is excellent and delivery was super fast. "
    "Thank you, great job!",
    "Amazing experience as always. The {brand} {noun} is perfect and your team is wonderful. Happy customer!",
    "The {title} arrived early and works great. Really happy with it, will definitely buy again.",
)
NEUTRAL_SUBJECTS: tuple[str, ...] = (
    "Question about sizing",
    "Delivery time",
    "Change my address",
    "Product question",
)
NEUTRAL_BODIES: tuple[str, ...] = (
    "Hi, is the {title} available in another size or color? Thanks.",
    "Hello, how long does delivery take for the {brand} {noun} to my city?",
    "Please update the shipping address on my account. You can call me at {phone}.",
    "Does the {title} come with a warranty? Please reply to {email}.",
)
