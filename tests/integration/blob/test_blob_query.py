"""Query Blob through the SDK's query_blob: SQL over CSV and JSON-lines blobs,
answered as Azure's Avro message stream."""
import json

import pytest
from azure.storage.blob import (BlobSasPermissions, BlobClient, DelimitedJsonDialect, DelimitedTextDialect,
                                StandardBlobTier, generate_blob_sas)
from datetime import datetime, timedelta, timezone

from blob_helpers import container, error_of, service  # noqa: F401 (fixtures)

CSV = b"name,price,qty\napple,1.5,10\npear,2,5\n\"fig, dried\",3.25,7\nkiwi,abc,1\n"
WITH_HEADER = DelimitedTextDialect(has_header=True)


@pytest.fixture
def fruit(container):
    b = container.get_blob_client("fruit.csv")
    b.upload_blob(CSV)
    return b


def test_select_where_and_projection(fruit):
    assert fruit.query_blob("SELECT * from BlobStorage").readall() == CSV
    got = fruit.query_blob("SELECT name, price FROM BlobStorage WHERE qty > 6", blob_format=WITH_HEADER).readall()
    assert got == b'name,price\napple,1.5\n"fig, dried",3.25\n'
    # Without a header the first line is a record, and fields go by position.
    errors = []
    got = fruit.query_blob("SELECT _1 FROM BlobStorage WHERE _3 < 8", on_error=errors.append).readall()
    assert got == b'pear\n"fig, dried"\nkiwi\n'
    assert [(e.error, e.is_fatal) for e in errors] == [("InvalidValue", False)]  # "qty" < 8
    got = fruit.query_blob("SELECT UPPER(name) AS n FROM BlobStorage WHERE name LIKE '%i%' LIMIT 1",
                           blob_format=WITH_HEADER, output_format=DelimitedTextDialect(has_header=False)).readall()
    assert got == b'"FIG, DRIED"\n'  # quoted: it holds the separator


def test_aggregates_and_bad_records(fruit):
    errors = []
    got = fruit.query_blob("SELECT COUNT(*), SUM(CAST(price AS FLOAT)), MAX(qty) FROM BlobStorage",
                           blob_format=WITH_HEADER, output_format=DelimitedTextDialect(has_header=False),
                           on_error=errors.append).readall()
    assert got == b"3,6.75,10\n"  # kiwi's price is no number: that record is reported and left out
    assert len(errors) == 1 and "abc" in errors[0].description


def test_timestamps_and_other_functions(container):
    log = container.get_blob_client("log.csv")
    log.upload_blob(b"at,event,note\n2024-01-08T09:30:00Z,start,\n2024-01-09T23:15:00+02:00,stop,late\n"
                    b"2023-12-31T12:00Z,old,\nnot a time,bad,\n")
    errors = []
    got = log.query_blob("SELECT event, TO_STRING(CAST(at AS TIMESTAMP), 'MMM d, yyyy HH:mm XXX'), "
                         "COALESCE(NULLIF(note, ''), '-') FROM BlobStorage "
                         "WHERE DATE_DIFF(day, at, '2024-01-10T00:00Z') BETWEEN 0 AND 5",
                         blob_format=WITH_HEADER, output_format=DelimitedTextDialect(has_header=False),
                         on_error=errors.append).readall()
    assert got == b'start,"Jan 8, 2024 09:30 Z",-\nstop,"Jan 9, 2024 23:15 +02:00",late\n'
    assert len(errors) == 1 and "not a time" in errors[0].description  # the record is left out, the query goes on
    got = log.query_blob("SELECT EXTRACT(YEAR FROM at), DATE_ADD('hour', 1, at) FROM BlobStorage WHERE event = 'stop'",
                         blob_format=WITH_HEADER, output_format=DelimitedJsonDialect()).readall()
    assert json.loads(got) == {"_1": 2024, "_2": "2024-01-10T00:15:00+02:00"}
    rows = container.get_blob_client("rows.json")
    rows.upload_blob(b'{"id":1,"tag":null}\n{"id":2}\n{"id":3,"tag":"x"}\n')
    got = rows.query_blob("SELECT id FROM BlobStorage WHERE tag IS MISSING OR tag = 'x'",
                          blob_format=DelimitedJsonDialect()).readall()
    assert [json.loads(x)["id"] for x in got.splitlines()] == [2, 3]


def test_output_formats(fruit, container):
    got = fruit.query_blob("SELECT * FROM BlobStorage WHERE name = 'pear'", blob_format=WITH_HEADER,
                           output_format=DelimitedJsonDialect()).readall()
    assert json.loads(got) == {"name": "pear", "price": "2", "qty": "5"}
    got = fruit.query_blob("SELECT * FROM BlobStorage WHERE qty >= 7", blob_format=WITH_HEADER,
                           output_format=DelimitedTextDialect(delimiter=";", quotechar="'", lineterminator="|",
                                                              has_header=False)).readall()
    assert got == b"apple;1.5;10|fig, dried;3.25;7|"
    lines = container.get_blob_client("events.json")
    lines.upload_blob(b'{"id":1,"user":{"name":"ann"},"ok":true}\n{"id":2,"user":{"name":"bob"},"ok":false}\n'
                      b'not json\n{"id":3,"user":{"name":"cy"},"ok":true}\n')
    errors = []
    got = lines.query_blob("SELECT id, user.name FROM BlobStorage WHERE ok = true", on_error=errors.append,
                           blob_format=DelimitedJsonDialect()).readall()
    assert [json.loads(x) for x in got.splitlines()] == [{"id": 1, "name": "ann"}, {"id": 3, "name": "cy"}]
    assert [e.error for e in errors] == ["InvalidRecord"]
    got = lines.query_blob("SELECT id FROM BlobStorage WHERE id > 1", blob_format=DelimitedJsonDialect(),
                           output_format=DelimitedTextDialect()).readall()
    assert got == b"2\n3\n"


def test_a_large_blob_streams_in_several_messages(container):
    rows = 200_000
    body = b"".join(b"%d,%s\n" % (i, b"x" * 40) for i in range(rows))  # ~9 MB
    b = container.get_blob_client("big.csv")
    b.upload_blob(body)
    reader = b.query_blob("SELECT _1 FROM BlobStorage WHERE _1 % 1000 = 0")
    assert len(reader) == len(body)
    assert reader.readall() == b"".join(b"%d\n" % i for i in range(0, rows, 1000))
    everything = b.query_blob("SELECT * FROM BlobStorage")
    chunks = list(everything._iter_stream())
    assert b"".join(chunks) == body and len(chunks) > 1


def test_errors(kiln, fruit, container):
    assert error_of(lambda: fruit.query_blob("SELEKT * FROM BlobStorage")) == (400, "ErrorProcessingQueryExpression")
    assert error_of(lambda: fruit.query_blob("SELECT name, COUNT(*) FROM BlobStorage")) == (400, "ErrorProcessingQueryExpression")
    deep = "SELECT * FROM BlobStorage WHERE " + "(" * 500 + "1 = 1" + ")" * 500
    assert error_of(lambda: fruit.query_blob(deep)) == (400, "ErrorProcessingQueryExpression")
    assert error_of(lambda: fruit.query_blob("SELECT '" + "x" * 20000 + "' FROM BlobStorage")) == \
        (400, "ErrorProcessingQueryExpression")
    assert error_of(lambda: container.get_blob_client("nope").query_blob("SELECT * FROM BlobStorage")) == (404, "BlobNotFound")
    assert error_of(lambda: fruit.query_blob("SELECT * FROM BlobStorage", if_match='"0x1"')) == (412, "ConditionNotMet")
    page = container.get_blob_client("disk")
    page.create_page_blob(512)
    assert error_of(lambda: page.query_blob("SELECT * FROM BlobStorage")) == (409, "InvalidBlobType")
    cold = container.get_blob_client("cold.csv")
    cold.upload_blob(CSV, standard_blob_tier=StandardBlobTier.Archive)
    assert error_of(lambda: cold.query_blob("SELECT * FROM BlobStorage")) == (409, "BlobArchived")
    # A SAS with read permission may query; one without may not.
    def sas_client(**perms):
        sas = generate_blob_sas(kiln.account, container.container_name, "fruit.csv", account_key=kiln.key,
                                permission=BlobSasPermissions(**perms),
                                expiry=datetime.now(timezone.utc) + timedelta(hours=1))
        return BlobClient.from_blob_url(f"{fruit.url}?{sas}")
    assert sas_client(read=True).query_blob("SELECT COUNT(*) FROM BlobStorage").readall() == b"5\n"
    assert error_of(lambda: sas_client(write=True).query_blob("SELECT * FROM BlobStorage"))[1] == \
        "AuthorizationPermissionMismatch"


def test_binary_junk_is_reported_not_fatal(container):
    import os
    junk = container.get_blob_client("junk.bin")
    junk.upload_blob(os.urandom(3 << 20) + b"\n" + b"{\"a\": 1}\n")
    errors = []
    got = junk.query_blob("SELECT a FROM BlobStorage", blob_format=DelimitedJsonDialect(), on_error=errors.append)
    assert got.readall().endswith(b'{"a":1}\n') and errors and not any(e.is_fatal for e in errors)
    assert junk.query_blob("SELECT COUNT(*) FROM BlobStorage").readall().strip().isdigit()  # as CSV


def test_query_a_snapshot(fruit):
    snapshot = fruit.create_snapshot()["snapshot"]
    fruit.upload_blob(b"name\nonly\n", overwrite=True)
    old = fruit.from_blob_url(fruit.url, credential=fruit.credential, snapshot=snapshot)
    got = old.query_blob("SELECT COUNT(*) FROM BlobStorage", blob_format=WITH_HEADER,
                         output_format=DelimitedTextDialect(has_header=False)).readall()
    assert got == b"4\n"


def test_malformed_query_requests(kiln, fruit, container):
    import requests
    sas = generate_blob_sas(kiln.account, container.container_name, "fruit.csv", account_key=kiln.key,
                            permission=BlobSasPermissions(read=True),
                            expiry=datetime.now(timezone.utc) + timedelta(hours=1))
    url = f"{fruit.url}?comp=query&{sas}"

    def post(body):
        r = requests.post(url, data=body, headers={"x-ms-version": "2021-12-02", "Content-Type": "application/xml"})
        return r.status_code, r.headers.get("x-ms-error-code")
    sql = "<QueryType>SQL</QueryType><Expression>SELECT * FROM BlobStorage</Expression>"
    assert post("<QueryRequest>" + sql) == (400, "InvalidXmlDocument")
    assert post("<Other>" + sql + "</Other>") == (400, "InvalidXmlDocument")
    assert post("<QueryRequest><QueryType>XPath</QueryType><Expression>x</Expression></QueryRequest>") == \
        (400, "InvalidXmlNodeValue")
    assert post("<QueryRequest><QueryType>SQL</QueryType></QueryRequest>") == (400, "InvalidXmlNodeValue")
    fmt = "<InputSerialization><Format><Type>{}</Type>{}</Format></InputSerialization>"
    assert post("<QueryRequest>" + sql + fmt.format("parquet", "") + "</QueryRequest>") == (409, "FeatureNotSupported")
    assert post("<QueryRequest>" + sql + fmt.format("yaml", "") + "</QueryRequest>") == (400, "InvalidXmlNodeValue")
    bad_separator = "<DelimitedTextConfiguration><ColumnSeparator>;;</ColumnSeparator></DelimitedTextConfiguration>"
    assert post("<QueryRequest>" + sql + fmt.format("delimited", bad_separator) + "</QueryRequest>") == \
        (400, "InvalidXmlNodeValue")
    r = requests.post(url, data="<QueryRequest>" + sql + "</QueryRequest>", headers={"x-ms-version": "2021-12-02"})
    assert r.status_code == 200 and r.headers["Content-Type"] == "avro/binary" and r.content.startswith(b"Obj\x01")
