"""oncosig.de"""
