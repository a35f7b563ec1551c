"""The title chooser on title shapes taken from real pages (../shared/corpus and partner sites).

Each case lists the candidates a page gives, as (kind, text), with its site names and URL,
and the title a reader should see: the article's own, without the site's name.
"""

import pytest

from crawlers.titles import (
    Candidate,
    choose_title,
    drop_trailing_name,
    host_names,
    strip_site,
)


def pick(candidates, sites=(), url=None, feed=None):
    given = [Candidate(kind, text) for kind, text in candidates]
    if feed:
        given.insert(0, Candidate("feed", feed))
    return choose_title(given, list(sites), url)


@pytest.mark.parametrize(
    "candidates, sites, url, expected",
    [
        # "… - Site" in <title> and og:title, the bare headline in <h1> and <meta name=title> (goose3 businessWeek2)
        (
            [
                ("title", "Five Social Media Lessons for Business - BusinessWeek"),
                ("meta", "Five Social Media Lessons for Business - BusinessWeek"),
                ("h1", "Five Social Media Lessons for Business"),
            ],
            ["BusinessWeek"],
            None,
            "Five Social Media Lessons for Business",
        ),
        # "Site | …" in og:title, "… | Site" in <title> (goose3 techcrunch1)
        (
            [
                ("title", "2005 Zuckerberg Didn’t Want To Take Over The World | TechCrunch"),
                ("meta", "TechCrunch | 2005 Zuckerberg Didn’t Want To Take Over The World"),
            ],
            ["TechCrunch"],
            None,
            "2005 Zuckerberg Didn’t Want To Take Over The World",
        ),
        # only a JSON-LD headline, with the publisher's name after it (goose3 reportagenewsarticle)
        (
            [("jsonld", "'Boaty McBoatface' tops ship name poll | BBC News")],
            ["BBC News"],
            None,
            "'Boaty McBoatface' tops ship name poll",
        ),
        # unspaced CJK separator and no site name anywhere: the <h1> agrees with the <title>'s first part
        (
            [
                ("title", "短缺药品保供稳价 全力保障临床用药需求-新华网"),
                ("h1", "短缺药品保供稳价 全力保障临床用药需求"),
            ],
            [],
            None,
            "短缺药品保供稳价 全力保障临床用药需求",
        ),
        # a site name with its slogan before a colon (newspaper4k article_with_divs)
        (
            [
                (
                    "meta",
                    "LinkNaija | Nigeria's popular news platform: Nollywood Actress, Kate Henshaw Is Looking Stunning",
                ),
                ("title", "Nollywood Actress, Kate Henshaw Is Looking Stunning"),
            ],
            ["LinkNaija | Nigeria's popular news platform"],
            None,
            "Nollywood Actress, Kate Henshaw Is Looking Stunning",
        ),
        # breadcrumbs then the site, known from the host name only (newspaper4k spanish_article)
        (
            [
                (
                    "title",
                    (
                        "Anticorrupción decidirá en Madrid si recurre la imputación de la Infanta » Local » Noticias » "
                        "Ultima Hora Mallorca"
                    ),
                )
            ],
            [],
            "https://www.ultimahora.es/noticias/local/2013/04/04/1.html",
            "Anticorrupción decidirá en Madrid si recurre la imputación de la Infanta",
        ),
        # a social card cut short with "..." never wins over the whole headline (newspaper4k article_with_br)
        (
            [
                ("meta", "'The American friends': New court files expose Sheldon Adelson's..."),
                ("title", "'The American friends': New court files expose Sheldon Adelson's security team -- Sott.net"),
            ],
            ["Sott.net"],
            None,
            "'The American friends': New court files expose Sheldon Adelson's security team",
        ),
        # a headline that ends in an ellipsis of its own is kept (readability videos-2)
        (
            [
                ("meta", "Screenshot : «Vape Wave», «6 Days», «Alphonse Président»…"),
                ("h1", "Screenshot : «Vape Wave», «6 Days», «Alphonse Président»…"),
                ("title", "Screenshot : «Vape Wave», «6 Days», «Alphonse Président»… - Culture / Next"),
            ],
            ["Libération"],
            None,
            "Screenshot : «Vape Wave», «6 Days», «Alphonse Président»…",
        ),
        # og:title is the site's name on some pages: not a title (readability yahoo-2)
        (
            [
                ("meta", "Yahoo News - Latest News & Headlines"),
                ("title", "Russia: Space ship malfunctions, breaks up over Siberia"),
                ("h1", "Russia: Space ship malfunctions, breaks up over Siberia"),
            ],
            ["Yahoo News - Latest News & Headlines"],
            None,
            "Russia: Space ship malfunctions, breaks up over Siberia",
        ),
        # a "site name" that the <title> and <h1> also give is the title itself (readability msn)
        (
            [
                ("title", "Nintendo's first iPhone game will launch in December for $10"),
                ("meta", "Nintendo's first iPhone game will launch in December for $10"),
                ("h1", "msn back to msn home news"),
            ],
            ["Nintendo's first iPhone game will launch in December for $10", "MSN"],
            None,
            "Nintendo's first iPhone game will launch in December for $10",
        ),
        # the <title> over a decorative <h1> when nothing else speaks (readability webmd-1)
        (
            [("title", "Babies Who Eat Peanuts Early May Avoid Allergy"), ("h1", "Allergies Health Center")],
            [],
            None,
            "Babies Who Eat Peanuts Early May Avoid Allergy",
        ),
        # a blog's name before a colon, where og:title gives the post's title whole (readability blogger)
        (
            [
                ("title", "Silicon Exposed: Open Verilog flow for Silego GreenPak4 programmable logic devices"),
                ("meta", "Open Verilog flow for Silego GreenPak4 programmable logic devices"),
                ("h1", "Silicon Exposed"),
            ],
            [],
            None,
            "Open Verilog flow for Silego GreenPak4 programmable logic devices",
        ),
        # a colon inside a title is not a separator when no candidate gives a part alone
        ([("title", "Hunger strike: day 40 for Mahir Ekinci")], [], None, "Hunger strike: day 40 for Mahir Ekinci"),
        # hyphens inside words are not separators
        (
            [
                ("title", "'Neutral' Snopes Fact-Checker David Emery - Breitbart"),
                ("h1", "'Neutral' Snopes Fact-Checker David Emery"),
            ],
            ["Breitbart"],
            None,
            "'Neutral' Snopes Fact-Checker David Emery",
        ),
        # the site's name alone is never stripped to nothing (goose3 test_title_sitename)
        ([("title", "Pradhvan"), ("meta", "Pradhvan")], ["Pradhvan"], None, "Pradhvan"),
        # three copies of a social headline vote once, as one family (readability videos-1)
        (
            [
                ("title", "How to watch the 21 best films of 2017 - Vox"),
                ("jsonld", "How to watch the 21 best films of 2017"),
                ("meta", "The 21 best movies of 2017"),
                ("meta", "The 21 best movies of 2017"),
            ],
            ["Vox"],
            None,
            "How to watch the 21 best films of 2017",
        ),
        # no site name known anywhere: the page's own name is the <title>'s last part (readability title-en-dash)
        ([("title", "Lorem ipsum dolor sit amet – My website")], [], None, "Lorem ipsum dolor sit amet"),
        # ... only the last one, and over a heading that is the blog's greeting (readability 001)
        (
            [
                ("title", "Get your Frontend JavaScript Code Covered | Code | Nicolas Perriault"),
                ("h1", "Hi, I'm Nicolas."),
            ],
            [],
            None,
            "Get your Frontend JavaScript Code Covered | Code",
        ),
        # four words or fewer would be left: the last part may belong to the title, kept whole
        ([("title", "Brexit: the uncivil war - The Movie")], [], None, "Brexit: the uncivil war - The Movie"),
        # ... unless a heading gives the shorter title (readability wikipedia)
        ([("title", "Mozilla - Wikipedia"), ("h1", "Mozilla")], [], None, "Mozilla"),
        # og:title giving the whole <title> outweighs the guess that its last part is a name
        (
            [
                ("title", "Court postpones the trial of the eleven - again"),
                ("meta", "Court postpones the trial of the eleven - again"),
            ],
            [],
            None,
            "Court postpones the trial of the eleven - again",
        ),
        # a metadata family that disagrees speaks once, through og:title: twitter:title's rewrite is no
        # second vote (readability citylab-1)
        (
            [
                ("title", "A Brief History of Neon Signage - CityLab"),
                ("meta", "The Modern Ambitions Behind Neon"),
                ("meta", "Why Neon Is the Ultimate Symbol of the 20th Century"),
                ("h1", "Why Neon Is the Ultimate Symbol of the 20th Century"),
            ],
            ["CityLab"],
            None,
            "The Modern Ambitions Behind Neon",
        ),
        ([], [], None, None),
        ([("title", "   "), ("h1", "")], [], None, None),
    ],
)
def test_choose_title(candidates, sites, url, expected):
    assert pick(candidates, sites, url) == expected


@pytest.mark.parametrize(
    "feed, candidates, expected",
    [
        # the feed's title agrees with the page's once the site name is off
        (
            "Day 40 of Leyla Ghaffari's hunger strike",
            [("title", "Day 40 of Leyla Ghaffari's hunger strike | Solidarity")],
            "Day 40 of Leyla Ghaffari's hunger strike",
        ),
        # the feed's title, which the partner chose, wins over one page candidate that disagrees
        (
            "Mahir Ekinci released after 87 days",
            [("title", "News archive – Solidarity Network")],
            "Mahir Ekinci released after 87 days",
        ),
        # a feed title cut short is taken whole from the page
        (
            "Court postpones the trial of the eleven…",
            [
                ("meta", "Court postpones the trial of the eleven journalists again"),
                ("h1", "Court postpones the trial of the eleven journalists again"),
            ],
            "Court postpones the trial of the eleven journalists again",
        ),
    ],
)
def test_feed_title_is_weighed(feed, candidates, expected):
    assert pick(candidates, feed=feed) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Lorem ipsum dolor sit amet – My website", "Lorem ipsum dolor sit amet"),
        (
            "Conversations with a Cryptid - Chapter 1 | Boku no Hero Academia | My Hero Academia [Archive of Our Own]",
            "Conversations with a Cryptid - Chapter 1 | Boku no Hero Academia",
        ),
        ("On Recent Controversial Events - Bradley M. Kuhn", "On Recent Controversial Events - Bradley M. Kuhn"),
        ("Hunger strike: day 40 for Mahir Ekinci", "Hunger strike: day 40 for Mahir Ekinci"),
    ],
)
def test_drop_trailing_name(text, expected):
    assert drop_trailing_name(text) == expected


@pytest.mark.parametrize(
    "text, sites, expected",
    [
        ("Takeaways from the civil fraud trial | CNN Politics", ["cnn"], "Takeaways from the civil fraud trial"),
        (
            "Rewriting Rules of Engagement with Video - Spiceworks",
            ["spiceworksinc"],
            "Rewriting Rules of Engagement with Video",
        ),
        (
            "宇航员在太空中喝酒会怎么样？后果很严重 _探索者 _光明网",
            ["光明网"],
            "宇航员在太空中喝酒会怎么样？后果很严重",
        ),
        (
            "LWN.net Weekly Edition for March 26, 2015 [LWN.net]",
            ["lwnnet"],
            "LWN.net Weekly Edition for March 26, 2015",
        ),
        ("Friday Facts #282 - 0.17 in sight | Factorio", ["factoriocom"], "Friday Facts #282 - 0.17 in sight"),
        ("BBC announces new cuts", ["bbc"], "BBC announces new cuts"),
    ],
)
def test_strip_site(text, sites, expected):
    assert strip_site(text, sites) == expected


def test_host_names():
    assert host_names("https://www.techcrunch.com/2010/x") == ["techcrunch"]
    assert host_names("http://edition.cnn.com/") == ["cnn"]
    assert host_names("not a url") == []
