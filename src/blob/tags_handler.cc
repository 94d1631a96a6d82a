// Blob index tags: Set/Get Blob Tags and Find Blobs by Tags (the rules and
// expressions are in tags.h). Tags are part of the blob's record; Find scans
// the records in (container, name) order, which suits a local store's sizes.
#include "blob/conditions.h"
#include "blob/handlers.h"
#include "blob/lease.h"
#include "blob/listing.h"
#include "blob/tags.h"

namespace kiln::blob {

void set_blob_tags(Call& c) {
  verify_body(c.req, c.res, false);
  BlobTags tags = parse_tags_xml(c.req.body);
  Conditions cond = parse_conditions(c.req.headers);
  c.be.store.write([&](MetadataWriter& w) {
    BlobRecord b = require_blob(w, c.ctx, true);  // written back whole, block list included
    check_conditions(cond, true, b.etag, b.last_modified_us, false);
    check_if_tags(c.req.headers, b.tags);
    if (b.snapshot.empty()) check_lease_access(effective_lease(b.lease, c.ctx.now_us), c.req.headers, LeaseTarget::kBlob, true);
    b.tags = std::move(tags);  // ETag and Last-Modified stay: tags are not the blob's content
    w.put_blob(b);
  });
  c.res.status = 204;
}

void get_blob_tags(Call& c) {
  // A failed If-Modified-Since is a 412 here, not a 304 (there is no entity to keep).
  BlobRecord b = read_blob_checked(c, false);
  c.res.body = tags_xml(b.tags);
  c.res.headers.set("Content-Type", "application/xml");
}

void find_blobs_by_tags(Call& c) {
  const bool in_container = c.ctx.op == Operation::kFindBlobsByTagsInContainer;
  auto where = c.req.query_param("where");
  if (!where) throw err::missing_required_query_parameter("where");
  auto expression = TagExpression::parse(*where, TagExpression::Dialect::kFind);
  if (in_container && expression.names_container())
    throw err::invalid_query_parameter_value("where", *where, "Cannot have container in both uri and query");
  const size_t max = read_max_results(c.req);
  // The marker is the (container, blob) to resume at.
  auto [start_container, start_blob] = decode_marker(c.req.query_param("marker").value_or(""));

  struct Found {
    std::string container, name;
    BlobTags tags;
  };
  std::vector<Found> found;  // up to max + 1: the last one only marks where to resume
  c.be.store.read([&](MetadataReader& r) {
    std::vector<std::string> containers;
    if (in_container) {
      require_container(r, c.ctx);
      containers.push_back(c.ctx.container);
    } else {
      for (const auto& rec : r.list_containers(c.ctx.account, "", start_container, size_t(1) << 30)) containers.push_back(rec.name);
    }
    for (const auto& container : containers) {
      if (container < start_container) continue;
      ListBlobsQuery q;
      q.start_after = container == start_container ? start_blob : "";
      q.limit = 5000;
      while (found.size() <= max) {
        auto page = r.list_blobs(c.ctx.account, container, q);
        for (const auto& b : page) {
          if (!b.snapshot.empty() || !expression.matches(container, b.tags)) continue;
          Found f{container, b.name, {}};
          for (const auto& key : expression.keys())  // only the tags the expression names
            if (auto it = b.tags.find(key); it != b.tags.end()) f.tags.insert(*it);
          found.push_back(std::move(f));
          if (found.size() > max) break;
        }
        if (page.size() < q.limit) break;
        q.start_after = page.back().name + '\x01';  // past every version of the last name
      }
      if (found.size() > max) break;
    }
  });

  XmlWriter x;
  x.open_attr("EnumerationResults", "ServiceEndpoint", service_endpoint(c.req, c.ctx));
  x.elem("Where", *where).open("Blobs");
  for (size_t i = 0; i < found.size() && i < max; ++i) {
    x.open("Blob").elem("Name", found[i].name).elem("ContainerName", found[i].container);
    write_tags(x, found[i].tags);
    x.close("Blob");
  }
  x.close("Blobs");
  x.elem("NextMarker", found.size() > max ? encode_marker(found[max].container, found[max].name) : "");
  x.close("EnumerationResults");
  c.res.body = x.take();
  c.res.headers.set("Content-Type", "application/xml");
}

}  // namespace kiln::blob
