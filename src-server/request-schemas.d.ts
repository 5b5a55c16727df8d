import { z } from 'zod';
/** `POST /v1/deploys` body. */
export declare const createDeployBody: z.ZodObject<{
    slug: z.ZodString;
    name: z.ZodString;
}, z.core.$strip>;
/** `POST /v1/upload-sessions` body: exactly one of deployId and createDeploy. */
export declare const createUploadSessionBody: z.ZodObject<{
    deployId: z.ZodOptional<z.ZodString>;
    createDeploy: z.ZodOptional<z.ZodObject<{
        slug: z.ZodString;
        name: z.ZodString;
    }, z.core.$strip>>;
    files: z.ZodArray<z.ZodObject<{
        path: z.ZodString;
        sha256: z.ZodString;
        size: z.ZodNumber;
        mime: z.ZodOptional<z.ZodString>;
    }, z.core.$strip>>;
}, z.core.$strip>;
/** `POST /v1/upload-sessions/{id}/missing-blobs` body. */
export declare const missingBlobsBody: z.ZodObject<{
    files: z.ZodArray<z.ZodObject<{
        path: z.ZodString;
        sha256: z.ZodString;
        size: z.ZodNumber;
        mime: z.ZodOptional<z.ZodString>;
    }, z.core.$strip>>;
}, z.core.$strip>;
/** `POST /v1/upload-sessions/{id}/commit` body. */
export declare const commitBody: z.ZodObject<{
    entries: z.ZodArray<z.ZodObject<{
        path: z.ZodString;
        blobHash: z.ZodString;
        size: z.ZodNumber;
        mime: z.ZodOptional<z.ZodString>;
    }, z.core.$strip>>;
    render: z.ZodOptional<z.ZodObject<{
        route: z.ZodOptional<z.ZodString>;
        title: z.ZodOptional<z.ZodString>;
        renderTimeoutMs: z.ZodOptional<z.ZodNumber>;
        metadata: z.ZodOptional<z.ZodRecord<z.ZodString, z.ZodUnknown>>;
    }, z.core.$strip>>;
}, z.core.$strip>;
/** `PUT /v1/deploys/{id}/aliases/{name}` body. */
export declare const putAliasBody: z.ZodObject<{
    deployVersionId: z.ZodString;
}, z.core.$strip>;
/** `POST /v1/render-jobs` body. */
export declare const createRenderJobBody: z.ZodUnion<readonly [z.ZodObject<{
    deployVersionId: z.ZodString;
}, z.core.$strip>, z.ZodObject<{
    deployId: z.ZodString;
    alias: z.ZodString;
}, z.core.$strip>]>;
/** A sha256 in a URL path. */
export declare const sha256Param: z.ZodString;
/** Parses `input` with `schema`, or throws `400 invalid_request` naming the first bad field. */
export declare function parseBody<T>(schema: z.ZodType<T>, input: unknown): T;
/** Throws `400 invalid_path` unless every path is valid and none repeats. */
export declare function assertValidPaths(paths: Iterable<string>): void;
