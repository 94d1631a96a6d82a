#!/usr/bin/env python3
"""Task program of the Batch tutorial, for azure-storage-blob 12.

Runs on a compute node:
  python3 python_tutorial_task.py --filepath taskdata1.txt --numwords 3
      --storageaccount ACCOUNT --storagecontainer output --sastoken "<container SAS>"
      [--blobendpoint URL]
Writes <name>_OUTPUT.txt with the node/task/job/pool ids and the top N words,
and uploads it to the container with the SAS. Words: whitespace-separated,
leading/trailing punctuation stripped, lower-cased; ties in alphabetical order
(the same rules as the C++ task program, examples/tutorial/word_count.h).
"""
import argparse
import collections
import os
import string

from azure.storage.blob import BlobClient


def top_words(text, n):
    counts = collections.Counter()
    for token in text.split():
        word = token.strip(string.punctuation).lower()
        if word:
            counts[word] += 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--filepath', required=True, help='The path to the text file to process.')
    parser.add_argument('--numwords', type=int, required=True, help='Number of top words to report.')
    parser.add_argument('--storageaccount', required=True, help='Storage account of the output container.')
    parser.add_argument('--storagecontainer', required=True, help='Container the output is uploaded to.')
    parser.add_argument('--sastoken', required=True, help='SAS token granting write access to the container.')
    parser.add_argument('--blobendpoint', help='Blob endpoint (default: Azure\'s for the account).')
    args = parser.parse_args()

    with open(args.filepath, encoding='utf-8') as f:
        words = top_words(f.read(), args.numwords)

    stem, ext = os.path.splitext(os.path.basename(args.filepath))
    output_file = '{}_OUTPUT{}'.format(stem, ext)
    with open(output_file, 'w', encoding='utf-8') as out:
        out.write('------------------------------\n')
        out.write('Node: ' + os.environ['AZ_BATCH_NODE_ID'] + '\n')
        out.write('Task: ' + os.environ['AZ_BATCH_TASK_ID'] + '\n')
        out.write('Job:  ' + os.environ['AZ_BATCH_JOB_ID'] + '\n')
        out.write('Pool: ' + os.environ['AZ_BATCH_POOL_ID'] + '\n')
        out.write('------------------------------\n')
        for word, count in words:
            out.write('{}: {}\n'.format(word, count))

    endpoint = args.blobendpoint or 'https://{}.blob.core.windows.net'.format(args.storageaccount)
    blob = BlobClient.from_blob_url('{}/{}/{}?{}'.format(endpoint.rstrip('/'), args.storagecontainer,
                                                         output_file, args.sastoken))
    with open(output_file, 'rb') as data:
        blob.upload_blob(data, overwrite=True)
    print('Uploaded {} to container [{}]'.format(output_file, args.storagecontainer))


if __name__ == '__main__':
    main()
