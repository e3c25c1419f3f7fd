"""The demo's scenario tables: estates and streets, names, household shapes, ASB cases,
repairs, visit notes, users and walkabouts.

Plain data only, read by ``fieldapp.demo.generate_demo`` in the order written here: the
order of every table is part of the demo's output (the random stream is drawn in it), so
reordering or editing a row changes the generated data and ``assets/demo_properties.csv``.
All people, places and cases are invented. Standard library only.
"""

from __future__ import annotations

from typing import Final

# Estates: (name, town, patch, postcode sector, centre lat, centre lon, streets).
# A street is (name, "house" | "bungalow", homes, ""); a block is (name, "flats", flats, street).
ESTATES: Final = (
    ("Castlefields", "Runcorn", "Runcorn East", "WA7 2", 53.3372, -2.6918, (
        ("Lapwing Grove", "house", 24, ""), ("Kestrel Close", "house", 18, ""),
        ("Curlew Grove", "house", 20, ""), ("Plover Close", "bungalow", 12, ""),
        ("Heron Walk", "house", 22, ""), ("Chester House", "flats", 30, "Castlefields Avenue North"),
        ("Beechwood Court", "flats", 30, "Castlefields Avenue East"),
    )),
    ("Palace Fields", "Runcorn", "Runcorn East", "WA7 2", 53.3214, -2.6745, (
        ("Hallwood Close", "house", 18, ""), ("Tarnbeck", "house", 16, ""),
        ("Ashburn Grove", "house", 16, ""), ("Leaside Way", "house", 20, ""),
        ("Windsor Court", "flats", 21, "Palace Fields Avenue"),
        ("Kenilworth House", "flats", 21, "Palace Fields Avenue"),
    )),
    ("Hough Green", "Widnes", "Widnes West", "WA8 4", 53.3793, -2.7768, (
        ("Arley Drive", "house", 24, ""), ("Foxglove Way", "house", 20, ""),
        ("Pex Hill Close", "bungalow", 12, ""), ("Hough Green Road", "house", 26, ""),
        ("Ditton Court", "flats", 24, "Liverpool Road"),
        ("Upton House", "flats", 26, "Hough Green Road"),
    )),
)  # fmt: skip
FIRST_NAMES: Final = {  # by sex and generation (born before 1960 / 1960-1995 / after 1995)
    ("F", 0): "Margaret Jean Patricia Barbara Joan Sheila Maureen Brenda Irene Doreen Elsie",
    ("F", 1): "Karen Julie Tracy Lisa Michelle Joanne Donna Claire Nicola Sarah Emma Gemma "
    "Kelly Laura Rachel Agnieszka Amina",
    ("F", 2): "Amelia Olivia Isla Ava Mia Ruby Grace Evie Poppy Freya Lily Ella Sophia Maisie",
    ("M", 0): "John William Brian Peter Kenneth Ronald Derek Alan Keith Terence Frank",
    ("M", 1): "David Paul Mark Stephen Andrew Lee Craig Gary Darren Jason Daniel Michael "
    "James Christopher Ryan Tomasz Kwame",
    ("M", 2): "Oliver Harry Jack Noah Charlie Leo George Alfie Freddie Theo Arthur Oscar Jacob",
}
SURNAMES: Final = (
    "Jones Smith Williams Taylor Davies Hughes Roberts Johnson Wright Walker Thompson Evans "
    "Brown Wilson Murphy Kelly Byrne McDonald Doyle Moran Ashton Kenyon Leigh Cunliffe Hesketh "
    "Riley Shaw Dixon Khan Nowak Okoro Mensah Ahmed Hassan Lowe Parr Fairclough Ormesher Hulme "
    "Pennington Whittle Garside Rimmer Sephton Hollins Bate Critchley Rowlands Dwyer Quirk"
).split()


# Household shapes, weighted by the number of bedrooms of the home.
SHAPES: Final = ("single", "older_single", "couple", "older_couple", "family", "lone_parent",
                  "adult_child")  # fmt: skip
SHAPE_WEIGHTS: Final = {
    1: (52, 22, 16, 6, 0, 4, 0), 2: (18, 8, 18, 8, 18, 24, 6),
    3: (6, 4, 10, 8, 42, 22, 8), 4: (2, 2, 4, 4, 62, 20, 6),
}  # fmt: skip

# ASB cases: (category, flags, harm, status, received days ago, further reports as
# (days ago, agency), description). Flags: u urgent crime, h hate-motivated, 7 complainant
# aged 75+, o support from another organisation, p Personal Budget, j judged vulnerable,
# m further reports from neighbours. Two reports on the same day are one incident reported to
# two agencies. The case's receipt is its first complaint; reports are the further ones.
CASES: Final = (
    ("crime", "u", "personal", "open", 0, (),
     "Drug dealing from the flat below; visitors all night and a knife shown on the stairs."),
    ("crime", "u", "personal", "action_plan", 1, ((0, "police"),),
     "Threats to set fire to the front door after a row over parking; police attended."),
    ("crime", "h", "personal", "action_plan", 9, ((4, "police"),),
     "Racist abuse shouted at the family from the landing; eggs thrown at the door."),
    ("crime", "h", "community", "open", 3, (), "Homophobic graffiti sprayed on the garden fence."),
    ("crime", "", "community", "open", 6, (), "Cars on the street damaged overnight."),
    ("crime", "", "personal", "open", 12, ((5, "landlord"),), "Garden shed broken into."),
    ("crime", "", "environmental", "action_plan", 20, (), "Fire set in the communal bin store."),
    ("crime", "o", "personal", "monitoring", 35, ((30, "police"),),
     "Youths kicking the front door and running off; door panel cracked."),
    ("noise", "", "personal", "open", 14, ((3, "landlord"),),
     "Loud music from the flat above until 3am most weekends."),
    ("noise", "m", "community", "action_plan", 25, ((11, "council"),),
     "Dogs left barking for hours when the neighbours are out."),
    ("noise", "", "personal", "open", 8, ((2, "landlord"),),
     "Shouting and banging through the party wall late at night."),
    ("noise", "", "personal", "action_plan", 19, ((6, "council"),),
     "Band practice in the garage on weekday evenings."),
    ("noise", "", "personal", "advice_given", 10, (), "Television very loud through the wall."),
    ("noise", "", "personal", "advice_given", 22, (), "Football kicked against the gable end."),
    ("noise", "", "personal", "open", 2, (), "DIY drilling early on Sunday mornings."),
    ("other", "", "environmental", "open", 4, (), "Dog fouling left on the shared path."),
    ("other", "", "community", "advice_given", 15, (), "Van parked across the driveway."),
    ("other", "m", "environmental", "open", 18, ((7, "landlord"),),
     "Rubbish bags dumped in the next-door front garden, attracting rats."),
    ("other", "m", "community", "action_plan", 27, ((12, "council"),),
     "Scooters ridden at speed along the footpath and the grass verges."),
    ("other", "j", "personal", "open", 5, (), "A neighbour's camera points into the garden."),
    ("noise", "", "personal", "action_plan", 150, ((138, "landlord"), (88, "council"),
     (41, "landlord")), "Parties at the neighbouring flat most weekends since the summer."),
    ("other", "m", "community", "monitoring", 170, ((150, "police"), (150, "landlord"),
     (96, "council"), (33, "landlord")),
     "A group gathers in the stairwell, smoking cannabis and intimidating residents."),
    ("crime", "p", "personal", "action_plan", 110, ((84, "police"), (37, "police")),
     "Harassment by a neighbour: threats on the landing and damage to the door."),
    ("noise", "7", "personal", "open", 3, (), "Loud music next door; the complainant can't sleep."),
    ("other", "7", "personal", "open", 7, (), "Young people knock on the door and run away."),
    ("noise", "", "personal", "closed", 220, ((210, "landlord"),), "Late-night parties."),
    ("other", "", "community", "closed", 260, (), "Motorbikes on the playing field."),
    ("crime", "", "personal", "closed", 300, ((290, "police"),), "Car window smashed."),
)  # fmt: skip

# Repairs in homes: (room, hazard, priority, Awaab's Law class, status, reported days ago,
# investigation concluded days ago, description).
REPAIRS: Final = (
    ("kitchen", "uncombusted_fuel_gas", "emergency", "emergency", "open", 0, None,
     "Smell of gas by the cooker; the tenant has turned the supply off at the meter."),
    ("bedroom 1", "damp_and_mould", "urgent", "significant", "open", 3, None,
     "Black mould on the outside wall and window reveal; the baby sleeps in this room."),
    ("bathroom", "damp_and_mould", "routine", "significant", "investigating", 9, None,
     "Mould across the ceiling; the extractor fan does not work."),
    ("bedroom 2", "damp_and_mould", "routine", "significant", "open", 18, None,
     "Damp patch spreading under the window; plaster crumbling."),
    ("living room", "damp_and_mould", "urgent", "significant", "made_safe", 20, 8,
     "Condensation and mould behind the sofa; dehumidifier supplied."),
    ("bedroom 1", "damp_and_mould", "routine", "significant", "investigating", 12, 2,
     "Mould in the ceiling corner; the investigation found a blocked gutter."),
    ("bathroom", "damp_and_mould", "routine", "significant", "completed", 70, 60,
     "Mould treated and a new extractor fan fitted."),
    ("hall and stairs", "falls_on_stairs", "urgent", "none", "open", 2, None,
     "Stair handrail loose at the top step."),
    ("front door", "entry_by_intruders", "urgent", "none", "open", 1, None,
     "Front door lock broken after an attempted break-in."),
    ("whole home", "excess_cold", "urgent", "none", "investigating", 4, None,
     "Boiler failing: no heating, hot water on and off."),
    ("kitchen", "domestic_hygiene_pests_refuse", "routine", "none", "open", 11, None,
     "Mice in the kitchen cupboards."),
    ("bathroom", "personal_hygiene_sanitation_drainage", "urgent", "none", "open", 3, None,
     "Toilet does not flush; the cistern leaks."),
    ("roof", "structural_collapse", "urgent", "none", "open", 6, None,
     "Loose ridge tiles after the storm."),
    ("bedroom 2", "collision_entrapment", "routine", "none", "open", 14, None,
     "Window restrictor missing on the first-floor window."),
    ("kitchen", "electrical", "urgent", "none", "completed", 30, None,
     "Socket scorched behind the fridge; replaced."),
    ("garden", None, "routine", "none", "open", 21, None, "Fence panel down between gardens."),
    ("kitchen", None, "planned", "none", "open", 40, None, "Kitchen units worn out."),
    ("bathroom", "falls_baths", "planned", "none", "open", 45, None,
     "Hard to get out of the bath; occupational therapist asked about a level-access shower."),
    ("living room", "excess_cold", "routine", "none", "open", 8, None,
     "Draught through the living room window frame."),
    ("bathroom", "flames_hot_surfaces", "routine", "none", "open", 5, None,
     "Bare hot water pipe beside the toilet."),
    ("kitchen", "water_supply", "routine", "none", "investigating", 16, None,
     "Low water pressure at the kitchen tap."),
    ("bedroom 1", "excess_cold", "routine", "none", "cancelled", 90, None,
     "Radiator cold; bled by the tenant before the visit."),
    ("hall and stairs", "lighting", "routine", "none", "open", 13, None,
     "Light fitting on the landing does not work."),
    ("bathroom", "damp_and_mould", "routine", "none", "completed", 400, None,
     "Mould around the window, reported before Awaab's Law applied."),
    ("external", "falls_on_level", "routine", "none", "open", 24, None,
     "Paving slab lifted on the path to the front door."),
    ("kitchen", "fire", "urgent", "none", "open", 1, None,
     "Smoke alarm missing from the kitchen ceiling."),
)  # fmt: skip

VISIT_NOTES: Final = (
    "Household details confirmed.", "Tenant asked about a transfer to a bigger home.",
    "Discussed the arrears; payment plan agreed.", "New baby since the last visit.",
    "Tenant well; no concerns raised.", "Garden overgrown; tenant will tidy it.",
    "Tenant would like help with an energy bill.", "Son has moved out since the last visit.",
)  # fmt: skip
FIRE_CONCERNS: Final = (
    "Smoke alarm not working in the hall; replaced on the visit.",
    "Mobility scooter charged in the communal hallway.", "Front door self-closer removed.",
)  # fmt: skip

USERS: Final = (  # username, name, role, patches
    ("officer1", "Sarah Whitfield", "officer", ("Runcorn East",)),
    ("officer2", "Daniel Okafor", "officer", ("Widnes West",)),
    ("manager", "Helen Marsh", "manager", ("Runcorn East", "Widnes West")),
    ("pcso", "Gary Lowe", "pcso", ("Runcorn East",)),
    ("councillor", "Margaret Dennett", "councillor", ("Widnes West",)),
)
# Finished walkabouts: (estate, days ago, start hour, minutes, who joined, grades (in the
# order of protocol.GRADE_ITEMS), fire safety met, summary, observations as (kind, offensive,
# block, minutes in, logged by, description, what it raised)).
WALKS: Final = (
    ("Castlefields", 12, 10, 100, ("officer1", "pcso"),
     "satisfactory satisfactory poor poor good poor good satisfactory", True,
     "Fly-tipping and lighting at Chester House are the priorities; bins to be re-sited.", (
        ("fly_tipping", False, "Chester House", 12, "officer1",
         "Mattress and a sofa dumped beside the bin store.", None),
        ("lighting", False, "Chester House", 20, "officer1",
         "Stairwell lights out on the second-floor landing.", "lighting"),
        ("graffiti", False, "Heron Walk", 38, "pcso", "Tags sprayed on the underpass wall.", None),
        ("bin_store", False, "Beechwood Court", 55, "officer1",
         "Bin store overflowing; the door does not lock.", None),
        ("litter", False, "Lapwing Grove", 70, "pcso", "Litter around the play area.", None),
        ("abandoned_vehicle", False, "Kestrel Close", 85, "pcso",
         "Untaxed car with flat tyres, here for three weeks.", None),
    )),
    ("Hough Green", 5, 13, 90, ("officer2", "councillor"),
     "satisfactory very_poor poor satisfactory satisfactory satisfactory poor good", False,
     "Offensive graffiti on the Arley Drive garages: removal within 24 hours. Fire door at "
     "Upton House to be repaired.", (
        ("graffiti", True, "Arley Drive", 10, "officer2",
         "Offensive racist slogan sprayed on the garage block.", None),
        ("fire_safety", False, "Upton House", 25, "officer2",
         "Fire door on the third floor wedged open; the closer is broken.", "fire"),
        ("door_entry", False, "Upton House", 30, "officer2",
         "Door entry panel smashed; the main door is left on the latch.", "entry_by_intruders"),
        ("fly_tipping", False, "Ditton Court", 40, "councillor",
         "Builders' rubble dumped behind the block again.", "asb_case"),
        ("vandalism", False, "Hough Green Road", 60, "councillor", "Bus shelter glass smashed.",
         None),
        ("grounds", False, "Foxglove Way", 75, "officer2",
         "Grass verges churned up by off-road bikes.", None),
    )),
)  # fmt: skip
