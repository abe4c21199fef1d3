"""The raw CSV tokeniser: line numbers, RFC 4180 quoting, header matching, file decoding."""

import gzip
import io

import pytest
from glue_lib.csv_records import MALFORMED_ROW, parse_csv_text
from glue_lib.invoices import escape_glob
from glue_lib.raw_files import text_blocks

COLUMNS = ("order_id", "customer_id", "country")


def parse(text: str) -> list[tuple]:
    return list(parse_csv_text(text, COLUMNS))


def test_header_is_matched_trimmed_and_case_insensitively_in_any_order():
    rows = parse(" Country ,ORDER_ID,customer_id,extra\nUS,o1,c1,x\n")
    assert rows == [(2, None, None, ["o1", "c1", "US"])]


def test_missing_optional_column_gives_none():
    assert parse("order_id,customer_id\no1,c1\n") == [(2, None, None, ["o1", "c1", None])]


def test_quoted_commas_and_line_breaks_keep_the_starting_line_number():
    text = 'order_id,customer_id,country\r\n"o,1","multi\r\nline",US\r\no2,c2,IN\r\n'
    rows = parse(text)
    assert [(line, values[0]) for line, _, _, values in rows] == [(2, "o,1"), (4, "o2")]
    assert rows[0][3][1] == "multi\r\nline"


def test_blank_lines_are_skipped_but_counted_in_line_numbers():
    rows = parse("order_id,customer_id,country\n\no1,c1,US\n\n")
    assert [line for line, *_ in rows] == [3]


def test_wrong_field_count_is_malformed_with_raw_text():
    rows = parse("order_id,customer_id,country\no1,c1\no2,c2,US,extra\n")
    assert [(line, error) for line, error, _, _ in rows] == [(2, MALFORMED_ROW), (3, MALFORMED_ROW)]
    assert rows[0][2] == "o1,c1\n"


@pytest.mark.parametrize("bad", ['o1,ab"c,US', '"o1"x,c1,US'])
def test_broken_quoting_is_malformed(bad):
    rows = parse(f"order_id,customer_id,country\n{bad}\no2,c2,US\n")
    assert rows[0][:2] == (2, MALFORMED_ROW)
    assert rows[1] == (3, None, None, ["o2", "c2", "US"])


def test_doubled_quotes_inside_quoted_field_are_fine():
    rows = parse('order_id,customer_id,country\n"o""1",c1,US\n')
    assert rows == [(2, None, None, ['o"1', "c1", "US"])]


def test_unterminated_quote_swallows_the_rest_as_one_malformed_record():
    rows = parse('order_id,customer_id,country\no1,"c1,US\no2,c2,US\n')
    assert len(rows) == 1 and rows[0][:2] == (2, MALFORMED_ROW)


def test_decode_handles_bom_and_gzip():
    text = "order_id\no1\n"
    assert b"".join(text_blocks(io.BytesIO(("\ufeff" + text).encode()), 2)) == text.encode()
    with gzip.GzipFile(fileobj=io.BytesIO(gzip.compress(text.encode()))) as stream:
        assert b"".join(text_blocks(stream, 3)) == text.encode()


def test_escape_glob_makes_hadoop_glob_characters_literal():
    assert escape_glob("raw/a[1]*?{x}.csv") == r"raw/a\[1\]\*\?\{x\}.csv"


def test_a_broken_header_makes_the_whole_file_unreadable():
    from glue_lib.csv_records import UnreadableHeader

    with pytest.raises(UnreadableHeader):
        parse('"order_id"x,customer_id\no1,c1\n')
