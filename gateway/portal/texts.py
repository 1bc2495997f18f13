"""Every text the portal shows, Indonesian first and English second, in one place.

Both languages must have exactly the same keys and placeholders (tests check it), so a page is
never half translated. Placeholders are str.format fields; templates escape the result.
"""

from __future__ import annotations

LANGUAGES = ("id", "en")

TEXTS: dict[str, dict[str, str]] = {
    "id": {
        "switch_language": "English",
        "splash_lead": "Internet gratis untuk warga. Tanpa kata sandi, tanpa daftar.",
        "terms_heading": "Ketentuan singkat",
        "terms_free": "Gratis, dipakai bersama hingga {capacity} ponsel sekaligus.",
        "terms_filter": "Situs pornografi, judi online, malware dan penipuan diblokir.",
        "terms_fair": "Gunakan dengan wajar dan sesuai hukum; hindari unduhan yang sangat besar.",
        "terms_open": "Jaringan ini terbuka: untuk hal pribadi, pakai situs yang memakai https.",
        "terms_session": "Sesi berakhir bila ponsel lama tidak dipakai; cukup sambungkan lagi.",
        "terms_agree": "Dengan menekan Sambungkan, Anda menyetujui ketentuan ini.",
        "connect_button": "Sambungkan",
        "full_title": "Hotspot penuh",
        "full_count": "{online} dari {capacity} ponsel sedang tersambung.",
        "full_waiting": (
            "Biarkan halaman ini terbuka. Halaman ini memeriksa lagi setiap {seconds} detik, "
            "dan Anda tersambung otomatis begitu ada tempat kosong."
        ),
        "full_press": (
            "Tekan tombol di bawah lalu biarkan halaman ini terbuka: Anda tersambung otomatis "
            "begitu ada tempat kosong."
        ),
        "full_button": "Sambungkan saat ada tempat",
        "connected_title": "Anda sudah tersambung",
        "connected_body": "Ponsel Anda sudah bisa memakai internet. Halaman ini boleh ditutup.",
        "connected_remaining": "Sesi ini berlaku sekitar {duration} lagi.",
        "duration_hours": "{hours} jam {minutes} menit",
        "duration_minutes": "{minutes} menit",
        "continue_link": "Lanjut ke halaman yang tadi Anda buka",
        "already_title": "Sudah tersambung",
        "already_body": (
            "Ponsel Anda sudah tersambung, tetapi {host} masih diarahkan ke hotspot karena data "
            "lama di ponsel. Coba buka lagi; bila halaman ini muncul lagi, matikan lalu "
            "nyalakan Wi-Fi."
        ),
        "already_link": "Buka {host}",
        "blocked_title": "Situs ini diblokir",
        "blocked_body": "{host} diblokir di hotspot ini. Kategori: {category}.",
        "blocked_why": (
            "Hotspot ini menyaring pornografi, judi online, malware, penipuan dan layanan yang "
            "melewati penyaringan, sesuai aturan yang berlaku."
        ),
        "blocked_report": "Menurut Anda ini keliru? Laporkan nama situs {host} ke: {contact}",
        "blocked_report_operator": (
            "Menurut Anda ini keliru? Laporkan nama situs {host} kepada pengelola hotspot."
        ),
        "category_porn": "pornografi",
        "category_gambling": "perjudian (judi online)",
        "category_malware": "malware (perangkat lunak berbahaya)",
        "category_phishing": "penipuan (phishing)",
        "category_dns_bypass": "layanan yang melewati penyaringan DNS",
        "expired_title": "Halaman kedaluwarsa",
        "expired_body": (
            "Tombol tadi berasal dari halaman lama. Kembali ke awal dan tekan Sambungkan "
            "sekali lagi."
        ),
        "back_button": "Kembali ke awal",
    },
    "en": {
        "switch_language": "Bahasa Indonesia",
        "splash_lead": "Free internet for residents. No password, no sign-up.",
        "terms_heading": "Short terms of use",
        "terms_free": "Free, shared by up to {capacity} phones at a time.",
        "terms_filter": "Pornography, online gambling, malware and fraud sites are blocked.",
        "terms_fair": "Use it fairly and lawfully; please avoid very large downloads.",
        "terms_open": "This network is open: for anything private, use sites with https.",
        "terms_session": "Your session ends when the phone is idle for a while; just reconnect.",
        "terms_agree": "By pressing Connect you accept these terms.",
        "connect_button": "Connect",
        "full_title": "Hotspot full",
        "full_count": "{online} of {capacity} phones are connected.",
        "full_waiting": (
            "Keep this page open. It checks again every {seconds} seconds and connects you "
            "automatically as soon as a place frees up."
        ),
        "full_press": (
            "Press the button below and keep this page open: you are connected automatically "
            "as soon as a place frees up."
        ),
        "full_button": "Connect when there is room",
        "connected_title": "You are connected",
        "connected_body": "Your phone can use the internet now. You may close this page.",
        "connected_remaining": "This session lasts about {duration} more.",
        "duration_hours": "{hours} h {minutes} min",
        "duration_minutes": "{minutes} min",
        "continue_link": "Continue to the page you opened",
        "already_title": "Already connected",
        "already_body": (
            "Your phone is already online, but {host} was still sent to the hotspot because of "
            "old data on your phone. Try opening it again; if this page comes back, turn Wi-Fi "
            "off and on."
        ),
        "already_link": "Open {host}",
        "blocked_title": "This site is blocked",
        "blocked_body": "{host} is blocked on this hotspot. Category: {category}.",
        "blocked_why": (
            "This hotspot filters pornography, online gambling, malware, fraud and services "
            "that get around filtering, as the rules require."
        ),
        "blocked_report": "Think this is a mistake? Report the site name {host} to: {contact}",
        "blocked_report_operator": (
            "Think this is a mistake? Report the site name {host} to the hotspot's operator."
        ),
        "category_porn": "pornography",
        "category_gambling": "gambling (online betting)",
        "category_malware": "malware (harmful software)",
        "category_phishing": "fraud (phishing)",
        "category_dns_bypass": "service that gets around DNS filtering",
        "expired_title": "This page has expired",
        "expired_body": (
            "The button came from an old page. Go back to the start and press Connect once more."
        ),
        "back_button": "Back to the start",
    },
}


def choose_language(requested: str | None, remembered: str | None, default: str) -> str:
    """The page language: ?lang= first, then the one remembered in the cookie, then the default."""
    for candidate in (requested, remembered, default):
        if candidate is not None and candidate in LANGUAGES:
            return candidate
    return LANGUAGES[0]


def category_label(texts: dict[str, str], category: str) -> str:
    """A block category in the reader's words; a category we have no words for stays as named."""
    return texts.get("category_" + category.replace("-", "_"), category)


def duration_text(texts: dict[str, str], seconds: int) -> str:
    """Seconds as "2 jam 5 menit" or "2 h 5 min", rounded down to the minute."""
    hours, minutes = divmod(max(seconds, 0) // 60, 60)
    if hours:
        return texts["duration_hours"].format(hours=hours, minutes=minutes)
    return texts["duration_minutes"].format(minutes=minutes)
