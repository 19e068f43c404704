import pytest

from qa.places import countries_in


@pytest.mark.parametrize("text,found", [
    ("cual es la edad de consentimiento en argentina", [("argentina", "argentina")]),  # lower case, Spanish
    ("¿Cuál es la edad de consentimiento en Brasil?", [("brazil", "brasil")]),
    ("¿Y en EE.UU.?", [("united states", "ee uu")]),
    ("What about the United States and Canada?", [("united states", "united states"), ("canada", "canada")]),
    ("Is Chile covered?", [("chile", "chile")]),
    ("una receta de chile con carne", []),  # an everyday word unless capitalized
    ("que porcentaje de mexicanos usa internet", []),  # the verb, not the USA
    ("donde fue la reunion del 2001", []),  # a meeting, not Réunion
    ("¿Y en la República Dominicana?", [("dominican republic", "republica dominicana")]),
    ("INTERPOL has 190 member countries", []),
])
def test_countries_named_in_english_or_spanish(text, found):
    assert countries_in(text) == found
