#!/usr/bin/env python3
"""An archive to import, for bench/import.sh: N releases (fixed seed), each in Azerbaijani,
English and Russian, numbered per year like No:367/21, with topics, old addresses and bodies
of realistic length; written as a folder of Markdown files (one per translation, TOML front
matter) and as a WordPress WXR export with Polylang translation groups; with --hugo, also as
a Hugo site of the same content (bench/export.sh compares `pressroom export` with `hugo`).

    bench/gen_archive.py N OUT_DIR [--hugo]   # OUT_DIR/md/…, OUT_DIR/export.xml [, OUT_DIR/hugo/]
"""
import os
import random
import sys

import hugo_site
from datetime import datetime, timedelta, timezone
from xml.sax.saxutils import escape

TOPICS = ["Foreign policy", "Energy", "Karabakh", "Consular services", "Diaspora",
          "Economic diplomacy", "Human rights", "Climate"]
WORDS = {
    "en": "ministry foreign affairs delegation cooperation meeting minister statement bilateral "
          "relations republic government agreement visit embassy press service partners region "
          "security peace negotiations development economic energy transport humanitarian".split(),
    "az": "nazirlik xarici işlər nümayəndə heyəti əməkdaşlıq görüş nazir bəyanat ikitərəfli "
          "münasibətlər respublika hökumət saziş səfər səfirlik mətbuat xidməti tərəfdaşlar region "
          "təhlükəsizlik sülh danışıqlar inkişaf iqtisadi enerji nəqliyyat humanitar".split(),
    "ru": "министерство иностранных дел делегация сотрудничество встреча министр заявление "
          "двусторонние отношения республика правительство соглашение визит посольство пресс "
          "служба партнеры регион безопасность мир переговоры развитие экономический энергетика".split(),
}
HEAD = {"en": "Statement of the Ministry", "az": "Nazirliyin bəyanatı", "ru": "Заявление министерства"}


def sentence(rng, lang, n):
    words = [rng.choice(WORDS[lang]) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def paragraphs(rng, lang):
    return "\n\n".join(
        " ".join(sentence(rng, lang, rng.randint(8, 18)) for _ in range(rng.randint(3, 6)))
        for _ in range(rng.randint(3, 7)))


def toml_text(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    hugo = hugo_site.HugoSite(os.path.join(out, "hugo"), TOPICS) if "--hugo" in sys.argv[3:] else None
    rng = random.Random(367)
    os.makedirs(os.path.join(out, "md"), exist_ok=True)
    start = datetime(2005, 1, 10, 9, 0, tzinfo=timezone.utc)
    step = (datetime(2025, 12, 1, tzinfo=timezone.utc) - start) / n
    seq = {}
    wxr = open(os.path.join(out, "export.xml"), "w", encoding="utf-8")
    wxr.write('<?xml version="1.0" encoding="UTF-8" ?>\n<rss version="2.0" '
              'xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" '
              'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
              'xmlns:dc="http://purl.org/dc/elements/1.1/" '
              'xmlns:wp="http://wordpress.org/export/1.2/">\n<channel>\n<title>Ministry</title>\n'
              '<wp:wxr_version>1.2</wp:wxr_version>\n<wp:base_site_url>http://old.example</wp:base_site_url>\n')
    post_id = 100
    for i in range(n):
        at = start + step * i + timedelta(minutes=rng.randint(0, 600))
        # Numbers run per year in the site's time zone (Asia/Baku, UTC+4 all year).
        year = (at + timedelta(hours=4)).year
        seq[year] = seq.get(year, 0) + 1
        number = seq[year]
        topics = rng.sample(TOPICS, rng.randint(1, 3))
        group = f"pll_{i}"
        ids = {}
        year_dir = os.path.join(out, "md", str(year))
        os.makedirs(year_dir, exist_ok=True)
        for lang in ("az", "en", "ru"):
            post_id += 1
            ids[lang] = post_id
            title = f"{HEAD[lang]}: {sentence(rng, lang, rng.randint(4, 9))[:-1]}"
            body = paragraphs(rng, lang)
            old = f"/{lang}/news/no{number}{year % 100:02d}-{i}"
            with open(os.path.join(year_dir, f"{number}-{year % 100:02d}.{lang}.md"), "w", encoding="utf-8") as f:
                f.write("+++\n")
                f.write(f'kind = "press-release"\nlang = "{lang}"\nrelease = "{number}-{year}"\n')
                f.write(f"number = {number}\ndate = {at.strftime('%Y-%m-%dT%H:%M:%SZ')}\n")
                f.write(f"title = {toml_text(title)}\n")
                f.write("topics = [" + ", ".join(toml_text(t) for t in topics) + "]\n")
                f.write(f"old_urls = [{toml_text(old)}]\n+++\n{body}\n")
            if hugo:
                hugo.release(lang, year, number, i, at, title, topics, body)
            html = "".join(f"<p>{escape(p)}</p>\n" for p in body.split("\n\n"))
            cats = "".join(
                f'<category domain="category" nicename="t{TOPICS.index(t)}"><![CDATA[{t}]]></category>\n'
                for t in topics)
            wxr.write(f"""<item>
<title><![CDATA[No:{number}/{year % 100:02d}, {title}]]></title>
<link>http://old.example{old}/</link>
<guid isPermaLink="false">http://old.example/?p={post_id}</guid>
<content:encoded><![CDATA[{html}]]></content:encoded>
<excerpt:encoded><![CDATA[]]></excerpt:encoded>
<wp:post_id>{post_id}</wp:post_id>
<wp:post_date><![CDATA[{at.strftime('%Y-%m-%d %H:%M:%S')}]]></wp:post_date>
<wp:post_date_gmt><![CDATA[{at.strftime('%Y-%m-%d %H:%M:%S')}]]></wp:post_date_gmt>
<wp:post_name><![CDATA[statement-{i}-{lang}]]></wp:post_name>
<wp:status><![CDATA[publish]]></wp:status>
<wp:post_parent>0</wp:post_parent>
<wp:post_type><![CDATA[post]]></wp:post_type>
<category domain="language" nicename="{lang}"><![CDATA[{lang}]]></category>
<category domain="post_translations" nicename="{group}"><![CDATA[{group}]]></category>
{cats}</item>
""")
        members = "".join(f's:2:"{l}";i:{pid};' for l, pid in ids.items())
        wxr.write(f"<wp:term><wp:term_taxonomy><![CDATA[post_translations]]></wp:term_taxonomy>"
                  f"<wp:term_slug><![CDATA[{group}]]></wp:term_slug>"
                  f"<wp:term_description><![CDATA[a:3:{{{members}}}]]></wp:term_description></wp:term>\n")
    wxr.write("</channel>\n</rss>\n")
    wxr.close()
    if hugo:
        hugo.finish()


if __name__ == "__main__":
    main()
