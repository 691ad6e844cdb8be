#ifndef LLAMAKIT_CJSONC_SHIM_H
#define LLAMAKIT_CJSONC_SHIM_H
#include <json-c/json.h>
#endif
