// Validation of request bodies against Azure's rules, independent of HTTP and
// of the engine. Each function throws the BatchError Azure returns for the first
// problem found (MissingRequiredProperty, InvalidPropertyValue,
// InvalidRequestBody, FeatureNotSupported for what Kiln does not implement).
#pragma once

#include "batch/model.h"

namespace kiln::batch {

void validate_pool_add(const Json& body);
void validate_pool_update(const Json& body, bool replace);  // patch / updateProperties
void validate_job_add(const Json& body);
void validate_job_update(const Json& body, bool replace);  // patch / update (PUT)
void validate_task_add(const Json& task);
void validate_task_constraints(const Json& obj, const std::string& path);

}  // namespace kiln::batch
