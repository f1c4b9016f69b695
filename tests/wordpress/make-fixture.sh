#!/bin/sh
# Makes the WordPress export the `import wxr` tests read, with WordPress itself: Debian's
# `wordpress` package, driven through its own PHP API (`wp-load.php`, no web server), then
# exported by `export_wp()`, the code behind Tools → Export. A hand-written export would only
# test what we believe WordPress writes; this one is what it writes.
#
# Run as root on Debian 12 from anywhere in the repository:
#     sh tests/wordpress/make-fixture.sh
# It writes crates/cli/tests/fixtures/wordpress/export.xml and the uploads the posts use under
# crates/cli/tests/fixtures/wordpress/uploads/. It drops and recreates the MariaDB database
# `pressroom_wxr_fixture`; nothing else on the machine is changed except the packages and
# /etc/wordpress/config-mfa.localhost.php.
set -eu

repo=$(cd "$(dirname "$0")/../.." && pwd)
out="$repo/crates/cli/tests/fixtures/wordpress"
host=mfa.localhost
db=pressroom_wxr_fixture

export DEBIAN_FRONTEND=noninteractive
# php-gd draws the images and makes WordPress's thumbnails; php-mysql is the database driver.
apt-get install -y --no-install-recommends wordpress mariadb-server php-cli php-mysql php-gd >/dev/null

# Debian starts MariaDB on installation where there is an init system; in a container, start it.
if ! mysqladmin ping >/dev/null 2>&1; then
    service mariadb start >/dev/null 2>&1 || (mysqld_safe >/dev/null 2>&1 &)
    for _ in $(seq 30); do mysqladmin ping >/dev/null 2>&1 && break; sleep 1; done
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
mysql <<SQL
DROP DATABASE IF EXISTS $db;
CREATE DATABASE $db CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'pressroom_wxr'@'localhost';
ALTER USER 'pressroom_wxr'@'localhost' IDENTIFIED BY '$password';
GRANT ALL ON $db.* TO 'pressroom_wxr'@'localhost';
SQL

# Debian's wp-config.php picks /etc/wordpress/config-HOST.php by the request's host.
umask 077
cat >/etc/wordpress/config-$host.php <<PHP
<?php
define('DB_NAME', '$db');
define('DB_USER', 'pressroom_wxr');
define('DB_PASSWORD', '$password');
define('DB_HOST', 'localhost');
define('WP_HOME', 'http://$host');
define('WP_SITEURL', 'http://$host');
PHP
chgrp www-data /etc/wordpress/config-$host.php 2>/dev/null || true
chmod 0640 /etc/wordpress/config-$host.php
umask 022

cat >"$work/make.php" <<'PHP'
<?php
// The site: a ministry's English press archive, made through WordPress's API only.
$_SERVER['HTTP_HOST'] = getenv('WXR_HOST');
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['SERVER_NAME'] = getenv('WXR_HOST');
$work = getenv('WXR_WORK');
define('WP_INSTALLING', true);
// No mail leaves the machine (the installer mails the new admin); wp_mail is pluggable.
function wp_mail() { return true; }
require '/usr/share/wordpress/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
require_once ABSPATH . 'wp-admin/includes/file.php';
require_once ABSPATH . 'wp-admin/includes/media.php';
require_once ABSPATH . 'wp-admin/includes/image.php';
require_once ABSPATH . 'wp-admin/includes/export.php';

$install = wp_install('Ministry of Foreign Affairs', 'press', 'press@mfa.localhost', false, '', wp_generate_password(24));
wp_set_current_user($install['user_id']);
update_option('timezone_string', 'Asia/Baku');
update_option('permalink_structure', '/%year%/%monthnum%/%postname%/');
// Uploads go to the work folder, not Debian's shared /var/lib/wordpress.
update_option('upload_path', $work . '/uploads');
update_option('upload_url_path', 'http://' . getenv('WXR_HOST') . '/wp-content/uploads');
update_option('uploads_use_yearmonth_folders', 1);
// The installer's "Hello world!" post and sample page are not part of the archive.
foreach (get_posts(['post_type' => ['post', 'page'], 'post_status' => 'any', 'numberposts' => -1]) as $p) {
    wp_delete_post($p->ID, true);
}

function term($name, $taxonomy) {
    $t = term_exists($name, $taxonomy);
    if (!$t) { $t = wp_insert_term($name, $taxonomy); }
    if (is_wp_error($t)) { fwrite(STDERR, $t->get_error_message() . "\n"); exit(1); }
    return (int) $t['term_id'];
}
function post($title, $date, $body, $categories, $tags, $status = 'publish', $type = 'post', $excerpt = '') {
    $id = wp_insert_post([
        'post_title' => $title, 'post_date' => $date, 'post_content' => $body,
        'post_excerpt' => $excerpt, 'post_status' => $status, 'post_type' => $type,
        'post_category' => array_map(fn($c) => term($c, 'category'), $categories),
        'tags_input' => $tags,
    ], true);
    if (is_wp_error($id)) { fwrite(STDERR, $id->get_error_message() . "\n"); exit(1); }
    return $id;
}
// A small picture drawn with GD: a few kilobytes, a real PNG WordPress resizes.
function picture($name, $r, $g, $b) {
    global $work;
    $im = imagecreatetruecolor(240, 120);
    imagefill($im, 0, 0, imagecolorallocate($im, $r, $g, $b));
    imagefilledrectangle($im, 20, 20, 220, 100, imagecolorallocate($im, 255, 255, 255));
    imagestring($im, 5, 40, 50, 'Press Service', imagecolorallocate($im, $r, $g, $b));
    $path = "$work/$name";
    imagepng($im, $path, 9);
    return $path;
}
// The featured image: a banner of 1200×600, above the 320×200 Pressroom requires of a banner
// and below WordPress's 2560-pixel big-image threshold, so the export names the file as drawn.
// A dusk sky drawn with GD (gradients, a sun, a building with lit windows, a little noise) so it
// is photo-like, saved as JPEG at quality 70 to stay a few tens of kilobytes.
function banner($name) {
    global $work;
    $w = 1200; $h = 600;
    $im = imagecreatetruecolor($w, $h);
    mt_srand(367);
    // The sky: deep blue at the top to orange at the horizon.
    $horizon = 420;
    for ($y = 0; $y < $horizon; $y++) {
        $t = $y / $horizon;
        $c = imagecolorallocate($im, (int) (20 + 220 * $t), (int) (40 + 110 * $t), (int) (110 - 40 * $t));
        imageline($im, 0, $y, $w - 1, $y, $c);
    }
    // The sun, a soft disc in rings.
    for ($r = 120; $r > 0; $r -= 4) {
        $t = $r / 120;
        $c = imagecolorallocatealpha($im, 255, (int) (230 - 60 * $t), (int) (150 - 110 * $t), (int) (40 + 80 * $t));
        imagefilledellipse($im, 860, $horizon - 30, 2 * $r, 2 * $r, $c);
    }
    // The ground: dark, lightening towards the foreground.
    for ($y = $horizon; $y < $h; $y++) {
        $t = ($y - $horizon) / ($h - $horizon);
        $c = imagecolorallocate($im, (int) (40 + 30 * $t), (int) (45 + 35 * $t), (int) (50 + 25 * $t));
        imageline($im, 0, $y, $w - 1, $y, $c);
    }
    // The ministry building: a block with a portico, columns and lit windows.
    $stone = imagecolorallocate($im, 58, 56, 64);
    $shade = imagecolorallocate($im, 44, 42, 50);
    imagefilledrectangle($im, 180, 200, 700, $horizon + 20, $stone);
    imagefilledpolygon($im, [160, 200, 440, 120, 720, 200], $shade);
    for ($x = 210; $x < 680; $x += 52) {
        imagefilledrectangle($im, $x, 215, $x + 14, $horizon + 20, $shade);
    }
    for ($row = 0; $row < 4; $row++) {
        for ($x = 232; $x < 660; $x += 52) {
            $lit = mt_rand(0, 3) > 0;
            $c = $lit ? imagecolorallocate($im, 250, mt_rand(200, 225), mt_rand(120, 160)) : imagecolorallocate($im, 30, 30, 40);
            imagefilledrectangle($im, $x, 235 + 45 * $row, $x + 16, 260 + 45 * $row, $c);
        }
    }
    // Grain, as a camera would leave.
    for ($i = 0; $i < 40000; $i++) {
        $x = mt_rand(0, $w - 1); $y = mt_rand(0, $h - 1);
        $rgb = imagecolorat($im, $x, $y);
        $d = mt_rand(-12, 12);
        $c = imagecolorallocate($im,
            max(0, min(255, (($rgb >> 16) & 255) + $d)),
            max(0, min(255, (($rgb >> 8) & 255) + $d)),
            max(0, min(255, ($rgb & 255) + $d)));
        imagesetpixel($im, $x, $y, $c);
    }
    imagefilter($im, IMG_FILTER_SMOOTH, 12);
    $path = "$work/$name";
    imagejpeg($im, $path, 70);
    return $path;
}
function sideload($path, $post, $title) {
    $id = media_handle_sideload(['name' => basename($path), 'tmp_name' => $path], $post, $title);
    if (is_wp_error($id)) { fwrite(STDERR, $id->get_error_message() . "\n"); exit(1); }
    return $id;
}

$answer = post(
    'No:367/21, Answer of the Press Service Department to the media question',
    '2021-10-04 15:20:00',
    "<!-- wp:paragraph -->\n<p><strong>Question:</strong> How do you comment on the statement made by the <em>spokesperson</em> of the neighbouring country?</p>\n<!-- /wp:paragraph -->\n\n"
    . "<!-- wp:heading -->\n<h2>Answer</h2>\n<!-- /wp:heading -->\n\n"
    . "<!-- wp:paragraph -->\n<p>We regard the statement as <a href=\"https://www.un.org/en/about-us/un-charter\">contrary to the UN Charter</a>.<br>Our position is set out below:</p>\n<!-- /wp:paragraph -->\n\n"
    . "<!-- wp:list -->\n<ul><li>respect for territorial integrity;</li><li>the inviolability of borders;</li><li>dialogue in good faith.</li></ul>\n<!-- /wp:list -->\n\n"
    . "<!-- wp:quote -->\n<blockquote class=\"wp-block-quote\"><p>Peace is built by agreements that are kept.</p></blockquote>\n<!-- /wp:quote -->",
    ['Press releases'], ['media', 'Press Service'],
    'publish', 'post',
    'The Press Service answers a question about a neighbouring country\'s statement.'
);
$banner = sideload(banner('press-service-banner.jpg'), $answer, 'Press Service banner');
update_post_meta($banner, '_wp_attachment_image_alt', 'The ministry building at dusk');
set_post_thumbnail($answer, $banner);

$statement = post(
    'No: 350, Statement on the anniversary of the Constitution',
    '2021-09-20 11:00:00',
    "<!-- wp:paragraph -->\n<p>The Ministry congratulates the people on the anniversary.</p>\n<!-- /wp:paragraph -->\n\n"
    . "<!-- wp:heading {\"level\":3} -->\n<h3>Programme</h3>\n<!-- /wp:heading -->\n\n"
    . "<!-- wp:list {\"ordered\":true} -->\n<ol><li>Reception at the Ministry</li><li>Wreath-laying ceremony</li></ol>\n<!-- /wp:list -->",
    ['Statements'], ['Constitution']
);
// A document attached to the post: a one-page PDF written by hand.
$pdf = "$work/statement-350.pdf";
file_put_contents($pdf, "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n");
sideload($pdf, $statement, 'Statement No 350 (PDF)');

// A classic-editor body: no block comments, paragraphs are blank lines (wpautop), and an
// image in the text itself.
$visit = post(
    'No: 351, Information on the visit of the Minister to Geneva',
    '2021-09-22 09:45:00',
    "The Minister will pay a working visit to Geneva on 23-24 September.\n\nDuring the visit the Minister will meet the <b>High Commissioner</b>\nand address the Council.\n\n<h3>Meetings</h3>\n<table><thead><tr><th>Day</th><th>Meeting</th></tr></thead><tbody><tr><td>23 September</td><td>High Commissioner</td></tr><tr><td>24 September</td><td>Council</td></tr></tbody></table>\n\n[caption id=\"\" align=\"alignnone\" width=\"240\"]PLACEHOLDER[/caption]",
    ['Press releases'], ['visits', 'Geneva']
);
$photo = sideload(picture('geneva.png', 140, 40, 40), $visit, 'Geneva');
update_post_meta($photo, '_wp_attachment_image_alt', 'The Palais des Nations');
wp_update_post(['ID' => $visit, 'post_content' => str_replace(
    'PLACEHOLDER',
    '<img src="' . wp_get_attachment_url($photo) . '" alt="The Palais des Nations" width="240" height="120"> The Palais des Nations',
    get_post($visit)->post_content
)]);

post(
    'No:12/22, Commentary of the spokesperson on the elections',
    '2022-01-15 17:00:00',
    "<!-- wp:paragraph -->\n<p>The elections were held in a calm atmosphere.</p>\n<!-- /wp:paragraph -->",
    ['Commentaries'], ['elections']
);
// Numbered in the last days of 2021, published in the first minutes of 2022 (Baku time).
post(
    'No:400/21, Statement on the end of the year',
    '2022-01-01 00:30:00',
    "<!-- wp:paragraph -->\n<p>The Ministry thanks its partners for the year's cooperation.</p>\n<!-- /wp:paragraph -->",
    ['Statements'], []
);
post(
    'Press conference of the Minister',
    '2021-11-03 12:00:00',
    "<!-- wp:paragraph -->\n<p>The Minister answered the questions of journalists.</p>\n<!-- /wp:paragraph -->",
    ['Press releases'], ['Press Service', 'media']
);
post('No: 999, A draft that was never published', '2021-12-01 10:00:00', '<p>Not ready.</p>', ['Press releases'], [], 'draft');
post('About the Ministry', '2020-01-01 10:00:00', '<!-- wp:paragraph --><p>The Ministry of Foreign Affairs.</p><!-- /wp:paragraph -->', [], [], 'publish', 'page');

ob_start();
export_wp(['content' => 'all']);
file_put_contents($work . '/export.xml', ob_get_clean());
PHP

WXR_HOST=$host WXR_WORK="$work" php "$work/make.php"

rm -rf "$out"
mkdir -p "$out/uploads"
cp "$work/export.xml" "$out/export.xml"
# Only the files the export names (not WordPress's generated thumbnails).
grep -o "<wp:attachment_url><!\[CDATA\[[^]]*" "$out/export.xml" | sed 's/.*uploads\///' | while read -r f; do
    install -D -m 0644 "$work/uploads/$f" "$out/uploads/$f"
done
# The banner must be the original 1200×600 drawing, not one of WordPress's resized copies.
php -r '$s = @getimagesize($argv[1]); if (!$s || $s[0] != 1200 || $s[1] != 600) { fwrite(STDERR, "$argv[1]: not the 1200x600 banner\n"); exit(1); }' \
    "$out/uploads/2021/10/press-service-banner.jpg"
echo "wrote $out/export.xml and $(find "$out/uploads" -type f | wc -l) uploads"
