"""The column-wise CSV path, fed a whole file or a stream of blocks of any size, gives
exactly the records of the line-by-line ``csv`` path."""

import random

import pytest
from glue_lib.csv_records import (
    UnreadableHeader,
    parse_csv_table,
    parse_csv_text,
    stream_csv_tables,
)

COLUMNS = ("order_id", "customer_id", "country", "missing")
PIECES = ("a", "b1", " x ", "", '"', '""', ",", "\n", "\r\n", "\r", "\x00", "é", "q,r", '"s"')


def as_rows(table):
    return [
        (
            row["source_line"],
            row["parse_error"],
            row["raw_record"],
            [row[f"raw_{c}"] for c in COLUMNS],
        )
        for row in table.to_pylist()
    ]


BLOCK_SIZES = (1, 2, 3, 7, 16, 61, 4096)
LARGE_BLOCK_SIZES = (4096, 1 << 16)  # a long text in tiny blocks would only be slow


def block_sizes(text: str) -> tuple[int, ...]:
    return BLOCK_SIZES if len(text) < 5000 else LARGE_BLOCK_SIZES


def streamed(text: str, size: int) -> list:
    data = text.encode("utf-8")
    blocks = [data[i : i + size] for i in range(0, len(data), size)]
    return [row for table in stream_csv_tables(blocks, COLUMNS, "k") for row in as_rows(table)]


def both(text: str, sizes: tuple[int, ...] | None = None):
    """The whole-file table and the stream in blocks of ``sizes`` (default: every size
    that fits the text) agree with ``csv``."""
    sizes = sizes or block_sizes(text)
    try:
        expected = list(parse_csv_text(text, COLUMNS))
    except UnreadableHeader:
        with pytest.raises(UnreadableHeader):
            parse_csv_table(text, COLUMNS, "k")
        for size in sizes:
            with pytest.raises(UnreadableHeader):
                streamed(text, size)
        return None
    table = parse_csv_table(text, COLUMNS, "k")
    assert set(table.column("source_key").to_pylist()) <= {"k"}
    assert as_rows(table) == expected
    for size in sizes:
        assert streamed(text, size) == expected, f"blocks of {size} bytes"
    return expected


def random_field(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.6:
        return rng.choice(("o1", "C02", " US ", "", "12.50", "x y"))
    if kind < 0.8:
        inner = "".join(rng.choice(PIECES) for _ in range(rng.randrange(4)))
        return '"' + inner.replace('"', '""') + '"'
    return "".join(rng.choice(PIECES) for _ in range(rng.randrange(1, 4)))


@pytest.mark.parametrize("seed", range(300))
def test_random_files_parse_identically(seed):
    rng = random.Random(seed)
    header = rng.choice(("order_id,customer_id,country", " Country ,ORDER_ID,customer_id,extra"))
    width = header.count(",") + 1
    lines = [header]
    for _ in range(rng.randrange(30)):
        n = width if rng.random() < 0.8 else rng.randrange(1, width + 2)
        lines.append(",".join(random_field(rng) for _ in range(n)))
        if rng.random() < 0.1:
            lines.append("")
    ends = [rng.choice(("\n", "\r\n", "\r")) if rng.random() < 0.2 else "\n" for _ in lines]
    text = "".join(line + end for line, end in zip(lines, ends, strict=True))
    if rng.random() < 0.3:
        text = text.rstrip("\r\n")
    both(text, (BLOCK_SIZES[seed % len(BLOCK_SIZES)],))  # every size over the seeds


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n\n",
        "order_id,customer_id,country\n",
        "order_id,customer_id,country\n\n\n",
        "\n\norder_id,customer_id,country\no1,c1,US\n",
        'order_id,customer_id,country\no1,"a\nb\nc\nd",US\no2,c2,IN\n',
        'order_id,customer_id,country\no1,"c1,US\no2,c2,US\n',
        '"order_id"x,customer_id\no1,c1\n',
        '"order\nid",customer_id\no1,c1\n',
        "order_id,customer_id,country\ro1,c1,US\r\ro2,c2\r",
        "order_id,customer_id,country\no1,c1,US,\no2,c2\n o3 ,c3,  \n",
        "order_id,customer_id,country\no1,c\x001,US\n",
        "order_id,customer_id,country\no1," + "x" * (1 << 20) + ",US\no2,c2,IN\n",
        'order_id,customer_id,country\no1,"' + "y\n" * 3000 + '",US\no2,c2,IN\n',
        "order_id,customer_id,country\r\no1,c1,US\r\n\r\no2,c2,IN",
    ],
)
def test_edge_cases_parse_identically(text):
    both(text)


def test_plain_file_keeps_line_numbers():
    rows = both("order_id,customer_id,country\no1,c1,US\n\no2,c2,IN\n")
    assert [(line, values[:3]) for line, _, _, values in rows] == [
        (2, ["o1", "c1", "US"]),
        (4, ["o2", "c2", "IN"]),
    ]
