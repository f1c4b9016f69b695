"""The archive of gen_archive.py as a Hugo site, for bench/export.sh: the same releases in
three languages (translationKey groups them), with templates doing what Pressroom's pages do
in outline: a base frame (language switcher, navigation, search form, footer, canonical and
hreflang links), the release page (kind and date, number, headline, body, topics,
translations, NewsArticle JSON-LD), listings of 20 per page for the releases section, each
year's section and each topic, a home page with the latest releases, the topics index, RSS
for each of them (30 items, as Pressroom's feeds) and the sitemap index with a sitemap per
language.
"""
import os

CONFIG = """baseURL = "http://127.0.0.1:8080/"
title = "Ministry press service"
defaultContentLanguage = "az"
defaultContentLanguageInSubdir = true
paginate = 20
rssLimit = 30
enableRobotsTXT = true
disableHugoGeneratorInject = true
[taxonomies]
topic = "topics"
[languages.az]
languageName = "Azərbaycanca"
weight = 1
contentDir = "content/az"
[languages.en]
languageName = "English"
weight = 2
contentDir = "content/en"
[languages.ru]
languageName = "Русский"
weight = 3
contentDir = "content/ru"
"""

BASEOF = """<!doctype html>
<html lang="{{ .Site.Language.Lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ block "title" . }}{{ .Title }} · {{ .Site.Title }}{{ end }}</title>
<link rel="stylesheet" href="/style.css">
<link rel="canonical" href="{{ .Permalink }}">
{{ range .AllTranslations }}<link rel="alternate" hreflang="{{ .Language.Lang }}" href="{{ .Permalink }}">
{{ end }}{{ with .OutputFormats.Get "rss" }}<link rel="alternate" type="application/rss+xml" href="{{ .Permalink }}">{{ end }}
<meta property="og:title" content="{{ .Title }}">
<meta property="og:url" content="{{ .Permalink }}">
</head>
<body>
<a class="skip" href="#content">Skip to content</a>
<header>
  <a class="site-title" href="{{ "/" | relLangURL }}">{{ .Site.Title }}</a>
  <nav aria-label="Languages"><ul>{{ range .Site.Languages }}<li><a href="/{{ .Lang }}/" hreflang="{{ .Lang }}">{{ .LanguageName }}</a></li>{{ end }}</ul></nav>
  <nav><ul><li><a href="{{ "releases/" | relLangURL }}">Releases</a></li></ul></nav>
  <form class="site-search" method="get" action="/{{ .Site.Language.Lang }}/search" role="search"><input type="search" name="q"><button>Search</button></form>
</header>
<main id="content">{{ block "main" . }}{{ end }}</main>
<footer><p>All rights reserved. Contact us to use any licensed material.</p></footer>
</body>
</html>
"""

SINGLE = """{{ define "main" }}<article class="release">
<p class="meta">Press release · <time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "2 January 2006" }}</time></p>
<p class="number">{{ .Params.number }}</p>
<h1>{{ .Title }}</h1>
<div class="body">{{ .Content }}</div>
{{ with .GetTerms "topics" }}<ul class="topics">{{ range . }}<li><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></li>{{ end }}</ul>{{ end }}
{{ if .IsTranslated }}<p class="translations">Also available in {{ range .Translations }}<a href="{{ .RelPermalink }}" hreflang="{{ .Language.Lang }}">{{ .Language.LanguageName }}</a> {{ end }}</p>{{ end }}
<section class="share"><h2>Share this page</h2><ul><li><a href="https://x.com/intent/post?url={{ .Permalink }}">X</a></li><li><a href="mailto:?body={{ .Permalink }}">E-mail</a></li></ul></section>
<script type="application/ld+json">{{ dict "@context" "https://schema.org" "@type" "NewsArticle" "headline" .Title "url" .Permalink "datePublished" (.Date.Format "2006-01-02T15:04:05Z07:00") "identifier" .Params.number | jsonify | safeJS }}</script>
</article>{{ end }}
"""

CARD = """<article class="card"><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2><p><time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "2 January 2006" }}</time> · {{ .Params.number }}</p><p>{{ .Summary }}</p></article>
"""

LIST = """{{ define "main" }}<h1>{{ .Title }}</h1>
{{ $pages := .RegularPagesRecursive }}{{ if eq .Kind "term" }}{{ $pages = .Pages }}{{ end }}
{{ with .Sections }}<nav class="years"><ul>{{ range . }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul></nav>{{ end }}
{{ $pager := .Paginate $pages.ByDate.Reverse }}
{{ range $pager.Pages }}{{ partial "card.html" . }}{{ end }}
{{ template "_internal/pagination.html" . }}
{{ with .OutputFormats.Get "rss" }}<p class="feeds"><a href="{{ .RelPermalink }}">RSS</a></p>{{ end }}
{{ end }}
"""

HOME = """{{ define "main" }}{{ $latest := first 11 (where .Site.RegularPages "Section" "releases").ByDate.Reverse }}
{{ range $latest }}{{ partial "card.html" . }}{{ end }}
<p><a href="{{ "releases/" | relLangURL }}">All releases</a></p>{{ end }}
"""

TERMS = """{{ define "main" }}<h1>{{ .Title }}</h1><ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>{{ end }}
"""


def slug(topic):
    return topic.lower().replace(" ", "-")


class HugoSite:
    """Writes the site under `root` as releases arrive."""

    def __init__(self, root, topics):
        self.root = root
        self.years = set()
        for path, text in [
            ("config.toml", CONFIG),
            ("layouts/_default/baseof.html", BASEOF),
            ("layouts/_default/single.html", SINGLE),
            ("layouts/_default/list.html", LIST),
            ("layouts/_default/terms.html", TERMS),
            ("layouts/index.html", HOME),
            ("layouts/partials/card.html", CARD),
            ("static/style.css", "body { font-family: sans-serif; }\n"),
        ]:
            self.write(path, text)
        for lang in ("az", "en", "ru"):
            self.write(f"content/{lang}/releases/_index.md", '+++\ntitle = "Releases"\n+++\n')

    def write(self, path, text):
        full = os.path.join(self.root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w", encoding="utf-8") as f:
            f.write(text)

    def release(self, lang, year, number, i, at, title, topics, body):
        if (lang, year) not in self.years:
            self.years.add((lang, year))
            self.write(f"content/{lang}/releases/{year}/_index.md", f'+++\ntitle = "{year}"\n+++\n')
        quoted = title.replace("\\", "\\\\").replace('"', '\\"')
        topic_list = ", ".join(f'"{t}"' for t in topics)
        self.write(
            f"content/{lang}/releases/{year}/{number}-statement-{i}.md",
            f'+++\ntitle = "{quoted}"\ndate = {at.strftime("%Y-%m-%dT%H:%M:%SZ")}\n'
            f'slug = "{number}-statement-{i}"\ntranslationKey = "r{i}"\n'
            f'number = "No:{number}/{year % 100:02d}"\ntopics = [{topic_list}]\n+++\n{body}\n',
        )

    def finish(self):
        pass
