"""Where the cities are, for `orders list --city NAME` (local services: 家政, 维修 …): a city is
its centre, and an order is in the city when its location lies within the radius asked
(orderfilter's default when none is). Names in Chinese (simplified or traditional, with or
without 市) or in pinyin, any case."""

from __future__ import annotations

from jiedan_cli.domain.errors import InvalidInput

# name: (lat, lon, pinyin, traditional name or "")
CITIES: dict[str, tuple[float, float, str, str]] = {
    "北京": (39.9042, 116.4074, "beijing", ""),
    "上海": (31.2304, 121.4737, "shanghai", ""),
    "广州": (23.1291, 113.2644, "guangzhou", "廣州"),
    "深圳": (22.5431, 114.0579, "shenzhen", ""),
    "杭州": (30.2741, 120.1551, "hangzhou", ""),
    "成都": (30.5728, 104.0668, "chengdu", ""),
    "武汉": (30.5928, 114.3055, "wuhan", "武漢"),
    "西安": (34.3416, 108.9398, "xian", ""),
    "南京": (32.0603, 118.7969, "nanjing", ""),
    "苏州": (31.2990, 120.5853, "suzhou", "蘇州"),
    "重庆": (29.5630, 106.5516, "chongqing", "重慶"),
    "天津": (39.3434, 117.3616, "tianjin", ""),
    "长沙": (28.2282, 112.9388, "changsha", "長沙"),
    "郑州": (34.7466, 113.6254, "zhengzhou", "鄭州"),
    "青岛": (36.0671, 120.3826, "qingdao", "青島"),
    "厦门": (24.4798, 118.0894, "xiamen", "廈門"),
    "宁波": (29.8683, 121.5440, "ningbo", "寧波"),
    "合肥": (31.8206, 117.2272, "hefei", ""),
    "福州": (26.0745, 119.2965, "fuzhou", ""),
    "济南": (36.6512, 117.1201, "jinan", "濟南"),
    "昆明": (24.8801, 102.8329, "kunming", ""),
    "沈阳": (41.8057, 123.4315, "shenyang", "瀋陽"),
    "大连": (38.9140, 121.6147, "dalian", "大連"),
    "哈尔滨": (45.8038, 126.5350, "harbin", "哈爾濱"),
    "香港": (22.3193, 114.1694, "hongkong", ""),
    "台北": (25.0330, 121.5654, "taipei", "臺北"),
}


def _names() -> dict[str, str]:
    names: dict[str, str] = {}
    for name, (_lat, _lon, pinyin, traditional) in CITIES.items():
        names[name] = names[pinyin] = name
        if traditional:
            names[traditional] = name
    return names


def city_centre(text: str, *, field: str = "--city") -> tuple[str, float, float]:
    """(name, lat, lon) of the city `text` names; InvalidInput naming `field` otherwise."""
    key = "".join(text.split()).lower().replace("'", "").replace("-", "")
    if key.endswith(("市", "city")) and len(key) > 2:
        key = key.removesuffix("市").removesuffix("city")
    name = _names().get(key)
    if name is None:
        known = "、".join(CITIES)
        raise InvalidInput(f"{field}: unknown city {text!r} (known: {known})", field=field)
    lat, lon, _pinyin, _traditional = CITIES[name]
    return name, lat, lon
