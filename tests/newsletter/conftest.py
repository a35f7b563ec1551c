"""An edition as partners really mix it: Persian, Arabic, English, Kurmanji, Turkish and German items,
partner names in Latin and Arabic script, Latin names quoted inside Persian text, tracking
parameters on partners' links, and reposts in several languages ("also reported by")."""

import pytest

from newsletter.compose import Edition, Entry, Report

PUBLISHED = "2026-11-29T10:00:00+00:00"


def mixed_edition() -> Edition:
    entries = [
        Entry(
            story_id=1,
            section="hunger-strike",
            position=1,
            language="en",
            headline="“They want to break him”: Mahir Ekinci on hunger strike for 87 days",
            summary="Today our brother, son and friend Mahir Ekinci enters the 87th day of his indefinite hunger "
            "strike in Kuzeykent High-Security Prison. He has lost 21 kilos and now weighs 54 kilos…",
            url="https://open-cell.example/they-want-to-break-him/?utm_source=rss&utm_medium=feed&utm_campaign=news",
            source="The Open Cell",
            published=PUBLISHED,
            reports=[
                Report(11, "Free Mahir Ekinci", "en", "https://free-mahir.example/news/day-87.html?fbclid=AbC1", "t"),
                Report(
                    12,
                    "Komeleya Piştgiriyê ya Malbatên Girtiyan",
                    "ku",
                    "https://komele.example/nuce/mahir-ekinci-roja-87an.html",
                    "t",
                ),
                Report(13, "کانون همبستگی با زندانیان سیاسی", "fa", "https://kanoon.example/fa/87?utm_source=x", "t"),
            ],
        ),
        Entry(
            story_id=2,
            section="hunger-strike",
            position=2,
            language="fa",
            headline="بیست‌وسومین روز اعتصاب غذای رضا توکلی (Reza Tavakoli) در زندان مرزداران",
            summary="رضا توکلی (Reza Tavakoli)، فعال کارگری و عضو سندیکای رانندگان اتوبوس، امروز بیست‌وسومین روز "
            "اعتصاب غذای خود را در زندان مرزداران (Marzdaran) پشت سر می‌گذارد…",
            url="https://kanoon.example/fa/%D8%B1%D9%88%D8%B2-23",
            source="کانون همبستگی با زندانیان سیاسی",
            published="2026-11-26T08:00:00+00:00",
            reports=[Report(21, "Solidarity Across Walls", "en", "https://saw.example/reza-tavakoli-day-23/", "t")],
        ),
        Entry(
            story_id=3,
            section="trial-sentence",
            position=3,
            language="ar",
            headline="تأجيل محاكمة المعتقلين الخمسة إلى 14 كانون الأول",
            summary="قررت المحكمة العسكرية تأجيل جلسة محاكمة المعتقلين الخمسة للمرة الرابعة، ودعت لجنة التضامن إلى "
            "وقفة أمام المحكمة يوم 14 كانون الأول.",
            url="https://tadamun.example/ar/news/140",
            source="لجنة التضامن مع الأسرى",
            published=PUBLISHED,
            reports=[Report(31, "Dayanışma Ağı", "tr", "https://dayanisma.example/haber/140", "t")],
        ),
        Entry(
            story_id=4,
            section="solidarity-action",
            position=4,
            language="de",
            headline="Eintägiger Solidaritätshungerstreik auf dem Marktplatz: Schluss mit der Isolationshaft!",
            summary="Dem Aufruf des internationalen Netzwerks Solidarity Across Walls folgend haben elf Mitglieder "
            "einen eintägigen Solidaritätshungerstreik durchgeführt.",
            url="https://gefangenen-info.example/beitraege/solidaritaetshungerstreik/",
            source="Gefangenen-Info Altwerder",
            published="2026-11-27T09:00:00+00:00",
            translations={"fa": {"headline": "اعتصاب غذای یک‌روزه‌ی همبستگی در میدان شهر", "summary": None}},
        ),
    ]
    intros = {
        "fa": "خبرهای این هفته از شبکه‌های همبستگی با زندانیان سیاسی…",
        "ar": "أخبار هذا الأسبوع من شبكات التضامن مع المعتقلين السياسيين…",
    }
    return Edition(id=1, week="2026-W48", sections_by="theme", entries=entries, intros=intros)


@pytest.fixture
def edition() -> Edition:
    return mixed_edition()
