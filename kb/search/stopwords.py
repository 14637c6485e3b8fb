"""Function words per locale, compared after folding (ё as е) and for Russian and Ukrainian
also as lemmas.

They are kept out of article bodies and out of candidate search, where they only cost
time, but stay in titles and example questions: "what is your name" is nearly all
function words, and telling it from "what's my name" needs them.
"""

from __future__ import annotations

from kb.types import Locale

_EN = """
a about above after again against all am an and any are aren't as at be because been before being below
between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each
few for from further had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself
him himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself let's me more most mustn't
my myself no nor not of off on once only or other ought our ours ourselves out over own same shan't she she'd
she'll she's should shouldn't so some such than that that's the their theirs them themselves then there there's
these they they'd they'll they're they've this those through to too under until very was wasn't we we'd we'll
we're we've were weren't what what's when when's where where's which while who who's whom why why's with won't
would wouldn't you you'd you'll you're you've your yours yourself yourselves please hi hello hey thanks thank
just also get got im ive dont cant whats wont
"""

_RU = """
а без более бы был была были было быть в вам вас весь во вот все всего всех вы где да даже для до его ее ей
ему если есть еще же за здесь и из или им их к как какой когда кто ли либо мне может мы на над надо наш не него
нее нет ни них но ну о об однако он она они оно от очень по под при с со так также такой там те тем то того
тоже той только том ты у уже хотя чего чей чем что чтобы чье чья эта эти это этот я мой моя мое мои свой
себя сам здравствуйте привет пожалуйста спасибо подскажите скажите можно нужно хочу хотеть мочь сказать
подсказать который
"""

_UK = """
а але б би був була були було бути в вам вас весь ви від він вона вони воно все всі де для до є же з за
і й із к коли ким котрий куди ледве лише мене мені мій моя моє мої мною на над нам нас наш не нема немає ні
ну о об однак от по під при про с саме свій себе сам та так також там те тим ти то тобі того тож той тому у уже
хоча це цей ця ці чи чий чим що щоб як який яка яке які якщо я добрий привіт будь ласка дякую підкажіть
скажіть можна треба хочу хотіти могти сказати підказати
"""

STOPWORDS: dict[Locale, frozenset[str]] = {
    "en": frozenset(_EN.split()),
    "ru": frozenset(_RU.split()),
    "uk": frozenset(_UK.split()),
}


def is_stopword(locale: Locale, word: str) -> bool:
    """Whether `word` (folded surface form or lemma) is a function word in `locale`."""
    return word in STOPWORDS.get(locale, frozenset())
