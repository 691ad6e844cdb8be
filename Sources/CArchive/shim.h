#ifndef LLAMAKIT_CARCHIVE_SHIM_H
#define LLAMAKIT_CARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>
#endif
